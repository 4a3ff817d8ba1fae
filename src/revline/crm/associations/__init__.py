"""Links between records (HubSpot's associations)."""
