"""Background jobs: the huey queue on SQLite or Redis."""
