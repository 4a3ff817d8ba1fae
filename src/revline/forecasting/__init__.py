"""Forecasting: quotas, the forecast of a month or quarter, daily snapshots and accuracy."""
