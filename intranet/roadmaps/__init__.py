"""District plans ("дорожные карты"): import, items and their execution."""
