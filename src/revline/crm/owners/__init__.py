"""Owners: the users (and queues) records can be assigned to."""
