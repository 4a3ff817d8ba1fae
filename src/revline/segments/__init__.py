"""Dynamic and static segments (lists) of contacts and their membership."""
