"""The Hustings benchmark: ``python bench/run.py`` (see bench/README.md)."""
