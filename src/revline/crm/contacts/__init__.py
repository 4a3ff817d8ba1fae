"""Contact-specific rules."""
