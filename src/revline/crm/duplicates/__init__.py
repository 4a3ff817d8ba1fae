"""Duplicate detection for contacts, companies and deals."""
