"""Lifecycle stages, lead statuses and the rules that keep them moving forward."""
