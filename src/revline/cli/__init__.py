"""The `revline` command line."""
