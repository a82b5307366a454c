"""District administration of user accounts."""
