"""Benchmarks and evaluations; each script prints its figures (see the README)."""
