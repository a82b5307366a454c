"""Self-inspection forms: templates with versions, campaigns, filling, review, consolidation."""
