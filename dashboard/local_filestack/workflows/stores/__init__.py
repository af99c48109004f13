"""Where jobs and workflows are kept: one SQL job store for SQLite and PostgreSQL."""
