"""Event ingestion, definitions, daily counts, retention and the contact timeline."""
