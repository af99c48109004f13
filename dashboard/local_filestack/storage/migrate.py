"""Data directories written by earlier versions, brought to the one storage layout.

Earlier versions kept files in two layouts. The single-machine default wrote each file's
bytes to ``files/<handle>`` and its record to ``metadata.sqlite3`` (table ``files``, without a
``blob`` column); a data dir with ``STORAGE_URL`` set and no PostgreSQL kept its records in
``objects.sqlite3`` (table ``objects``). Every mode now keeps the records in one table that
names each file's blob. :func:`upgrade_data_dir` adds that column -- a legacy file's blob is
named by its handle, which is where its bytes already are, so no byte moves -- and copies the
records of ``objects.sqlite3`` over, then sets that file aside. Each step is one transaction
and repeating it changes nothing, so a start interrupted midway is finished by the next one.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path

from dashboard.local_filestack.storage import index
from dashboard.local_filestack.storage.sql import SQLITE

logger = logging.getLogger(__name__)

#: The records of the file index, in the data dir.
INDEX_FILENAME = "metadata.sqlite3"
#: Where records lived when the bytes were stored elsewhere than ``files/`` without PostgreSQL.
LEGACY_OBJECTS = "objects.sqlite3"
#: What ``objects.sqlite3`` is renamed to once its records are copied.
MIGRATED_SUFFIX = ".migrated"


def _columns(conn: sqlite3.Connection, table: str, schema: str = "main") -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA {schema}.table_info({table})")]


def upgrade_data_dir(data_dir: Path) -> int:
    """Bring the data dir's file records to the current layout; how many records were upgraded."""
    database = data_dir / INDEX_FILENAME
    objects = data_dir / LEGACY_OBJECTS
    if not database.exists() and not objects.exists():
        return 0
    upgraded = 0
    with contextlib.closing(sqlite3.connect(database, timeout=30.0, isolation_level=None)) as conn:
        conn.execute("PRAGMA busy_timeout=30000")
        columns = _columns(conn, index.TABLE)
        if columns and "blob" not in columns:
            conn.execute("BEGIN IMMEDIATE")
            if "blob" not in _columns(conn, index.TABLE):  # another process may have done it meanwhile
                conn.execute(f"ALTER TABLE {index.TABLE} ADD COLUMN blob TEXT")
                upgraded += conn.execute(
                    f"UPDATE {index.TABLE} SET blob = handle WHERE blob IS NULL"
                ).rowcount
            conn.execute("COMMIT")
        if objects.exists():
            upgraded += _copy_objects(conn, objects)
    if upgraded:
        logger.info("upgraded %d file record(s) in %s to the current storage layout", upgraded, data_dir)
    return upgraded


def _copy_objects(conn: sqlite3.Connection, objects: Path) -> int:
    """Copy the records of a legacy ``objects.sqlite3`` into ``files``, then set the file aside."""
    conn.execute(index.schema(SQLITE))
    conn.execute("ATTACH DATABASE ? AS legacy", (str(objects),))
    try:
        if not _columns(conn, "objects", "legacy"):
            copied = 0
        else:
            names = ", ".join((*index.COLUMNS, "blob"))
            conn.execute("BEGIN IMMEDIATE")
            copied = conn.execute(
                f"INSERT OR IGNORE INTO {index.TABLE} ({names}) SELECT {names} FROM legacy.objects"
            ).rowcount
            conn.execute("COMMIT")
    finally:
        conn.execute("DETACH DATABASE legacy")
    for suffix in ("", "-wal", "-shm"):
        legacy = objects.with_name(objects.name + suffix)
        if legacy.exists():
            legacy.rename(legacy.with_name(legacy.name + MIGRATED_SUFFIX))
    return copied
