"""Files held out of public reach: the quarantine list, beside the file records.

A quarantined file keeps its record and its bytes; only the public ways to it (the CDN,
the File API) refuse it with :class:`FileQuarantined` (403) until an admin releases it
(or deletes it). The list is a table on the storage's own database, so every process of
a deployment (SQLite on one machine, PostgreSQL in a cluster) sees the same holds.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from dashboard.local_filestack.storage.sql import Database

TABLE = "quarantine"


class FileQuarantined(Exception):
    """The file is in quarantine: nobody reaches it publicly until an admin releases it."""

    def __init__(self, handle: str, reason: str) -> None:
        super().__init__(f"file {handle} is in quarantine ({reason}); an admin can release it")
        self.handle = handle
        self.reason = reason


class Hold(BaseModel):
    """Why and since when a file is held; ``job`` is the workflow job that quarantined it."""

    model_config = ConfigDict(frozen=True)

    handle: str
    reason: str
    job: str | None = None
    at: int


def schema(big_integer: str) -> str:
    """The quarantine table."""
    return f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    handle TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    job    TEXT,
    at     {big_integer} NOT NULL
)"""


class Quarantine:
    """The held files, on a :class:`Database`; synchronous and thread-safe like the storage."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._mark = db.dialect.mark
        with db.transaction() as cursor:
            if db.dialect.schema_lock:
                cursor.execute(db.dialect.schema_lock)
            cursor.execute(schema(db.dialect.big_integer))

    def hold(self, hold: Hold) -> Hold:
        """Hold a file; a file already held keeps its first hold (which is returned)."""
        self.db.query(
            f"INSERT INTO {TABLE} (handle, reason, job, at) VALUES ({self.db.dialect.marks(4)}) "
            "ON CONFLICT (handle) DO NOTHING RETURNING 1",
            (hold.handle, hold.reason, hold.job, hold.at),
        )
        found = self.get(hold.handle)
        return found if found is not None else hold

    def get(self, handle: str) -> Hold | None:
        """The hold on ``handle``, or ``None`` if it is not quarantined."""
        rows = self.db.query(
            f"SELECT handle, reason, job, at FROM {TABLE} WHERE handle = {self._mark}", (handle,)
        )
        return _hold(rows[0]) if rows else None

    def check(self, handle: str) -> None:
        """Raise :class:`FileQuarantined` if ``handle`` is held."""
        found = self.get(handle)
        if found is not None:
            raise FileQuarantined(handle, found.reason)

    def release(self, handle: str) -> bool:
        """End the hold; ``True`` if there was one."""
        rows = self.db.query(f"DELETE FROM {TABLE} WHERE handle = {self._mark} RETURNING 1", (handle,))
        return bool(rows)

    def list(self, limit: int = 100) -> list[Hold]:
        """The held files, newest first."""
        rows = self.db.query(
            f"SELECT handle, reason, job, at FROM {TABLE} ORDER BY at DESC, handle LIMIT {int(limit)}"
        )
        return [_hold(row) for row in rows]


def _hold(row: tuple[object, ...]) -> Hold:
    handle, reason, job, at = row
    return Hold(handle=str(handle), reason=str(reason), job=str(job) if job is not None else None, at=int(at))  # type: ignore[call-overload]
