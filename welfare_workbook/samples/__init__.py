"""Bundled sample masters (one folder of CSV files per sample)."""
