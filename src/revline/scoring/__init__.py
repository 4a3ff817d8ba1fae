"""Lead scoring: rule models and their recompute, backtests, data-driven points and the
predictive score."""
