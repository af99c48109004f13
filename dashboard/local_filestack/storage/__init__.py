"""Stored files (one Storage: a BlobStore plus a FileIndex on SQLite or PostgreSQL), the transform cache and the SQL databases the stores use."""
