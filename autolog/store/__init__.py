"""The embedded local store: SQLite (WAL) plus an artifact folder, and its filter grammar."""
