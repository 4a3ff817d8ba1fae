"""Property definitions, value validation and property history."""
