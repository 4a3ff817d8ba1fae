"""The worker: runs due schedules and jobs, as ``revline worker`` or inside ``revline serve``."""
