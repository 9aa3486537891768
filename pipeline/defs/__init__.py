"""Dagster wiring: thin assets, checks and resources (with cli.py and definitions.py, all that imports it)."""
