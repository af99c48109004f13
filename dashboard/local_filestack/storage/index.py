"""File records by handle, each pointing at the blob that holds the bytes, in a SQL database.

The same statements run on SQLite (the data dir's ``metadata.sqlite3``) and on PostgreSQL
(shared by every worker of every machine). Each change that processes may race on is one
statement, so among processes racing on one handle exactly one insert wins and exactly one
delete finds the row.
"""

from __future__ import annotations

from typing import Any

from dashboard.local_filestack.storage.files import StoredFile
from dashboard.local_filestack.storage.sql import Database, Dialect

TABLE = "files"
COLUMNS: tuple[str, ...] = (
    "handle",
    "filename",
    "mimetype",
    "size",
    "key",
    "container",
    "location",
    "path",
    "uploaded",
    "width",
    "height",
    "md5",
    "sha256",
    "access",
)
#: The columns an overwrite changes.
CHANGED: tuple[str, ...] = ("mimetype", "size", "width", "height", "md5", "sha256", "uploaded")


def schema(dialect: Dialect) -> str:
    """The ``files`` table in ``dialect``."""
    types = {
        "handle": "TEXT PRIMARY KEY",
        "size": f"{dialect.big_integer} NOT NULL",
        "uploaded": f"{dialect.real} NOT NULL",
        "width": "INTEGER",
        "height": "INTEGER",
        "path": "TEXT",
    }
    columns = ",\n    ".join(f"{name} {types.get(name, 'TEXT NOT NULL')}" for name in COLUMNS)
    return f"CREATE TABLE IF NOT EXISTS {TABLE} (\n    {columns},\n    blob TEXT NOT NULL\n)"


def _record(row: tuple[Any, ...]) -> tuple[StoredFile, str]:
    return StoredFile(**dict(zip(COLUMNS, row[: len(COLUMNS)], strict=True))), row[len(COLUMNS)]


class FileIndex:
    """File records and their blob names."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._mark = db.dialect.mark
        with db.transaction() as cursor:
            if db.dialect.schema_lock:
                cursor.execute(db.dialect.schema_lock)
            cursor.execute(schema(db.dialect))

    def get(self, handle: str) -> tuple[StoredFile, str] | None:
        """The record of ``handle`` and its blob name, or ``None``."""
        rows = self.db.query(
            f"SELECT {', '.join(COLUMNS)}, blob FROM {TABLE} WHERE handle = {self._mark}", (handle,)
        )
        return _record(rows[0]) if rows else None

    def insert(self, record: StoredFile, blob: str) -> bool:
        """Add a record; ``False`` (nothing changed) if the handle is taken."""
        values = record.model_dump()
        rows = self.db.query(
            f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}, blob) VALUES ({self.db.dialect.marks(len(COLUMNS) + 1)}) "
            "ON CONFLICT (handle) DO NOTHING RETURNING 1",
            (*(values[c] for c in COLUMNS), blob),
        )
        return bool(rows)

    def replace(self, record: StoredFile, blob: str) -> str | None:
        """Point an existing record at new bytes; the old blob name, or ``None`` if the record is gone."""
        values = record.model_dump()
        mark = self._mark
        with self.db.transaction() as cursor:
            cursor.execute(
                f"SELECT blob FROM {TABLE} WHERE handle = {mark}{self.db.dialect.lock_rows}", (record.handle,)
            )
            found = cursor.fetchall()
            if not found:
                return None
            cursor.execute(
                f"UPDATE {TABLE} SET {', '.join(f'{c} = {mark}' for c in CHANGED)}, blob = {mark} WHERE handle = {mark}",
                (*(values[c] for c in CHANGED), blob, record.handle),
            )
        old: str = found[0][0]
        return old

    def total_bytes(self) -> int:
        """The size of every recorded file together."""
        rows = self.db.query(f"SELECT COALESCE(SUM(size), 0) FROM {TABLE}")
        return int(rows[0][0])

    def delete(self, handle: str) -> str | None:
        """Remove a record; its blob name, or ``None`` if there was none."""
        rows = self.db.query(f"DELETE FROM {TABLE} WHERE handle = {self._mark} RETURNING blob", (handle,))
        return rows[0][0] if rows else None

    def close(self) -> None:
        """Release connections."""
        self.db.close()
