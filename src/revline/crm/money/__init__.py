"""Money on deals: currencies, the home currency, exchange rates, recurring revenue."""
