"""The CRM core: object types, records, properties, associations, pipelines, owners."""
