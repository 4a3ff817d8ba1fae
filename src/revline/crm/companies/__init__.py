"""Company-specific rules."""
