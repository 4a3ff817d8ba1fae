"""Workspace settings: named JSON documents in ``workspace_settings`` that several CRM
packages keep their configuration in (lifecycle rules, lead statuses, currency, ...)."""
