"""File metadata by handle, pointing at the blob that holds the bytes: SQLite or PostgreSQL.

Each change is one statement, so among processes racing on one handle exactly one
insert wins and exactly one delete finds the row.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dashboard.local_filestack.storage.pg import PgDatabase
from dashboard.local_filestack.storage.files import StoredFile

_COLUMNS = (
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
_SQL_TYPES = {
    "size": "BIGINT NOT NULL",
    "uploaded": "DOUBLE PRECISION NOT NULL",
    "width": "INTEGER",
    "height": "INTEGER",
    "path": "TEXT",
}
_CHANGED = ("mimetype", "size", "width", "height", "md5", "sha256", "uploaded")


def _schema(table: str) -> str:
    columns = ",\n    ".join(
        f"{name} {'TEXT PRIMARY KEY' if name == 'handle' else _SQL_TYPES.get(name, 'TEXT NOT NULL')}"
        for name in _COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {columns},\n    blob TEXT NOT NULL\n)"


@runtime_checkable
class FileIndex(Protocol):
    """File records and their blob names."""

    def get(self, handle: str) -> tuple[StoredFile, str] | None:
        """The record of ``handle`` and its blob name, or ``None``."""
        ...

    def insert(self, record: StoredFile, blob: str) -> bool:
        """Add a record; ``False`` (nothing changed) if the handle is taken."""
        ...

    def replace(self, record: StoredFile, blob: str) -> str | None:
        """Point an existing record at new bytes; the old blob name, or ``None`` if the record is gone."""
        ...

    def delete(self, handle: str) -> str | None:
        """Remove a record; its blob name, or ``None`` if there was none."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def _record(row: tuple[Any, ...]) -> tuple[StoredFile, str]:
    return StoredFile(**dict(zip(_COLUMNS, row[: len(_COLUMNS)], strict=True))), row[len(_COLUMNS)]


class SqliteFileIndex:
    """:class:`FileIndex` in a SQLite file (WAL; one connection per thread)."""

    TABLE = "objects"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(_schema(self.TABLE))

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    def get(self, handle: str) -> tuple[StoredFile, str] | None:
        row = (
            self._connect()
            .execute(f"SELECT {', '.join(_COLUMNS)}, blob FROM {self.TABLE} WHERE handle = ?", (handle,))
            .fetchone()
        )
        return _record(row) if row is not None else None

    def insert(self, record: StoredFile, blob: str) -> bool:
        values = record.model_dump()
        cursor = self._connect().execute(
            f"INSERT INTO {self.TABLE} ({', '.join(_COLUMNS)}, blob) VALUES ({', '.join('?' * (len(_COLUMNS) + 1))}) "
            "ON CONFLICT (handle) DO NOTHING",
            (*(values[c] for c in _COLUMNS), blob),
        )
        return cursor.rowcount > 0

    def replace(self, record: StoredFile, blob: str) -> str | None:
        values = record.model_dump()
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute(f"SELECT blob FROM {self.TABLE} WHERE handle = ?", (record.handle,)).fetchone()
            if row is not None:
                conn.execute(
                    f"UPDATE {self.TABLE} SET {', '.join(f'{c} = ?' for c in _CHANGED)}, blob = ? WHERE handle = ?",
                    (*(values[c] for c in _CHANGED), blob, record.handle),
                )
        except sqlite3.Error:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return row[0] if row is not None else None

    def delete(self, handle: str) -> str | None:
        row = (
            self._connect()
            .execute(f"DELETE FROM {self.TABLE} WHERE handle = ? RETURNING blob", (handle,))
            .fetchone()
        )
        return row[0] if row is not None else None

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


class PostgresFileIndex:
    """:class:`FileIndex` in PostgreSQL, shared by every worker of every machine."""

    TABLE = "files"

    def __init__(self, dsn: str) -> None:
        self.db = PgDatabase(dsn, application_name="file-index")
        with self.db.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (8_424_002,))
            cursor.execute(_schema(self.TABLE))

    def get(self, handle: str) -> tuple[StoredFile, str] | None:
        rows = self.db.query(
            f"SELECT {', '.join(_COLUMNS)}, blob FROM {self.TABLE} WHERE handle = %s", (handle,)
        )
        return _record(rows[0]) if rows else None

    def insert(self, record: StoredFile, blob: str) -> bool:
        values = record.model_dump()
        rows = self.db.query(
            f"INSERT INTO {self.TABLE} ({', '.join(_COLUMNS)}, blob) "
            f"VALUES ({', '.join(['%s'] * (len(_COLUMNS) + 1))}) ON CONFLICT (handle) DO NOTHING RETURNING 1",
            (*(values[c] for c in _COLUMNS), blob),
        )
        return bool(rows)

    def replace(self, record: StoredFile, blob: str) -> str | None:
        values = record.model_dump()
        rows = self.db.query(
            f"UPDATE {self.TABLE} t SET {', '.join(f'{c} = %s' for c in _CHANGED)}, blob = %s "
            f"FROM (SELECT handle, blob FROM {self.TABLE} WHERE handle = %s FOR UPDATE) old "
            "WHERE t.handle = old.handle RETURNING old.blob",
            (*(values[c] for c in _CHANGED), blob, record.handle),
        )
        return rows[0][0] if rows else None

    def delete(self, handle: str) -> str | None:
        rows = self.db.query(f"DELETE FROM {self.TABLE} WHERE handle = %s RETURNING blob", (handle,))
        return rows[0][0] if rows else None

    def close(self) -> None:
        self.db.close()
