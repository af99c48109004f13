"""SQL databases behind one small interface, for the file index and the job store: SQLite or PostgreSQL.

A database runs single statements (:meth:`SqliteDatabase.query`), groups of statements in one
transaction (:meth:`~SqliteDatabase.execute`, :meth:`~SqliteDatabase.transaction`) on
connections of its own, and names how its SQL differs in a :class:`Dialect`: placeholders,
value lists, column types and the few statements one of them can do in a single round trip.
The stores write their SQL once, with the dialect's pieces.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dashboard.local_filestack.storage.files import StorageFull

Statement = tuple[str, Sequence[Any]]


@dataclass(frozen=True)
class Dialect:
    """How one database's SQL differs from the other's."""

    name: str
    #: The parameter placeholder.
    mark: str
    big_integer: str
    real: str
    boolean: str
    #: An integer key the database numbers itself.
    serial_key: str
    #: The column that keeps the insertion order of ``job_tasks``.
    insertion_order: str
    #: Appended to a ``SELECT`` whose rows the transaction goes on to change.
    lock_rows: str
    #: A statement run at the start of the schema's creation, so processes starting together do not race.
    schema_lock: str | None
    #: Whether an ``INSERT … RETURNING`` may sit in a ``WITH`` (one round trip for reserve-or-read).
    writable_cte: bool
    #: Whether rows can be gathered with their children as JSON in one query (``json_agg``).
    json_rows: bool
    #: A query naming the columns of the table given as its one parameter.
    column_names: str

    def marks(self, count: int) -> str:
        """``count`` placeholders, comma separated."""
        return ", ".join([self.mark] * count)

    def one_of(self, column: str, values: Sequence[Any]) -> Statement:
        """``column`` equal to one of ``values``, as a condition and its parameters."""
        if self.name == "postgresql":
            return f"{column} = ANY({self.mark})", (list(values),)
        return f"{column} IN ({self.marks(len(values))})", tuple(values)


SQLITE = Dialect(
    name="sqlite",
    mark="?",
    big_integer="INTEGER",
    real="REAL",
    boolean="INTEGER",
    serial_key="INTEGER PRIMARY KEY AUTOINCREMENT",
    insertion_order="rowid",
    lock_rows="",
    schema_lock=None,
    writable_cte=False,
    json_rows=False,
    column_names="SELECT name FROM pragma_table_info(?)",
)
POSTGRES = Dialect(
    name="postgresql",
    mark="%s",
    big_integer="BIGINT",
    real="DOUBLE PRECISION",
    boolean="BOOLEAN",
    serial_key="BIGSERIAL PRIMARY KEY",
    insertion_order="seq",
    lock_rows=" FOR UPDATE",
    schema_lock="SELECT pg_advisory_xact_lock(8424001)",
    writable_cte=True,
    json_rows=True,
    column_names="SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = %s",
)


class Cursor(Protocol):
    """What a transaction's cursor offers."""

    @property
    def rowcount(self) -> int: ...

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any: ...

    def fetchall(self) -> list[tuple[Any, ...]]: ...

    def fetchone(self) -> tuple[Any, ...] | None: ...


class Database(ABC):
    """A database the stores can use: statements alone or in a transaction, on connections of its own."""

    dialect: Dialect

    @abstractmethod
    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement (one round trip, committed at once)."""

    @abstractmethod
    def transaction(self) -> contextlib.AbstractContextManager[Cursor]:
        """A cursor whose statements commit together (or roll back on an error)."""

    @abstractmethod
    def close(self) -> None:
        """Release every connection."""

    def execute(self, statements: Sequence[Statement]) -> list[int]:
        """Run statements in one transaction; return each one's row count."""
        with self.transaction() as cursor:
            counts: list[int] = []
            for sql, params in statements:
                cursor.execute(sql, tuple(params))
                counts.append(cursor.rowcount)
            return counts


def _is_disk_full(err: sqlite3.Error) -> bool:
    """True when SQLite failed because the disk (or its quota) is full."""
    return getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(err)


@contextlib.contextmanager
def _full_disk_is_storage_full(path: Path) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as err:
        if _is_disk_full(err):
            raise StorageFull(f"no space left on the storage disk for {path.name}") from err
        raise


class SqliteDatabase(Database):
    """A SQLite file in WAL mode: one connection per thread, writing transactions one at a time.

    A full disk is reported as :class:`~dashboard.local_filestack.storage.files.StorageFull`.
    """

    dialect = SQLITE

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._connect().execute("PRAGMA journal_mode=WAL")

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with _full_disk_is_storage_full(self.path):
            return self._connect().execute(sql, tuple(params)).fetchall()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        conn = self._connect()
        with self._write_lock, _full_disk_is_storage_full(self.path):
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn.cursor()
                conn.execute("COMMIT")
            except BaseException:
                # Also when COMMIT itself failed (a full disk): SQLite may leave the transaction
                # open, and this thread's connection would go on seeing a change nobody else sees.
                if conn.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def close(self) -> None:
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()
        self._local = threading.local()
