"""Objectivity of assessment: statistical markers of unobjective ВПР results."""
