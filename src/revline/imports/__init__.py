"""Importing records from files: mapping files, planning, loading."""
