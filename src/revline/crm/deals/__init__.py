"""Deal-specific rules."""
