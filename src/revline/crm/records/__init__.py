"""Records of every object type: create, read, list, update, archive, restore."""
