"""Pipeline health and stuck deals, read from deals and their stage transitions."""
