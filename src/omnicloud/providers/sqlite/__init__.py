"""SQLite-backed reference providers: an embedded real database, standard library only."""
