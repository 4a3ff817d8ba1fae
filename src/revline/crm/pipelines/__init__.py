"""Deal pipelines and their stages."""
