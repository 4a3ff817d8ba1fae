"""Engagement-specific rules (calls, emails, meetings, notes, tasks)."""
