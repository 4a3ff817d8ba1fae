"""Users, teams and API tokens."""
