"""Revline: a self-hosted CRM for teams that sell."""

__version__ = "0.1.0"
