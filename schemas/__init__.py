"""Record and entity types (the single source of truth) and the generators derived from them."""
