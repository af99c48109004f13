"""PostgreSQL for the service's stores (psycopg 3, imported only when used): a :class:`~.sql.Database`.

One connection per thread and process, in autocommit mode; :meth:`PgDatabase.transaction`
groups statements. A connection found broken (the server restarted) or inherited
through a fork (multi-worker servers) is replaced on the next use. Every statement is
counted, so benchmarks can report the database's cost per job.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from dashboard.local_filestack.storage.sql import POSTGRES, Database

if TYPE_CHECKING:
    import psycopg


class PostgresUnavailable(RuntimeError):
    """psycopg is not installed (``pip install -e .[scale]``) or the server cannot be reached."""


class PgDatabase(Database):
    """Thread-local psycopg connections to one database, with a statement counter."""

    dialect = POSTGRES

    def __init__(self, dsn: str, *, application_name: str = "local-filestack") -> None:
        try:
            import psycopg  # noqa: F401 -- checked here so a missing extra is a clear error
        except ImportError as exc:
            raise PostgresUnavailable(
                "PostgreSQL needs psycopg: install the scale extra (pip install -e '.[scale]')"
            ) from exc
        self.dsn = dsn
        self.application_name = application_name
        self._local = threading.local()
        self._connections: list[psycopg.Connection[Any]] = []
        self._lock = threading.Lock()
        #: Statements sent, and round trips to the server (a transaction adds BEGIN and COMMIT).
        self.statements = 0
        self.round_trips = 0

    def _connection(self) -> psycopg.Connection[Any]:
        import psycopg

        conn: psycopg.Connection[Any] | None = getattr(self._local, "conn", None)
        if getattr(self._local, "pid", None) != os.getpid():
            conn = None  # inherited through a fork: the socket belongs to the parent
        if conn is not None and not conn.closed and not conn.broken:
            return conn
        try:
            conn = psycopg.connect(
                self.dsn, autocommit=True, application_name=f"{self.application_name}-{os.getpid()}"
            )
        except psycopg.OperationalError as exc:
            raise PostgresUnavailable(f"cannot connect to PostgreSQL: {exc}") from exc
        self._local.conn = conn
        self._local.pid = os.getpid()
        with self._lock:
            self._connections.append(conn)
        return conn

    def _count(self, statements: int, round_trips: int) -> None:
        with self._lock:
            self.statements += statements
            self.round_trips += round_trips

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement (one round trip)."""
        conn = self._connection()
        self._count(1, 1)
        with conn.cursor() as cursor:
            cursor.execute(sql, tuple(params))
            return cursor.fetchall() if cursor.description is not None else []

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor whose statements commit together (or roll back on an error)."""
        conn = self._connection()
        with conn.transaction(), conn.cursor() as cursor:
            yield _CountingCursor(cursor, self)  # type: ignore[misc]

    def close(self) -> None:
        """Close every connection this object opened."""
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            with contextlib.suppress(Exception):  # closing a dead connection may raise anything
                conn.close()


class _CountingCursor:
    """A cursor proxy that counts statements; BEGIN and COMMIT are two more round trips."""

    def __init__(self, cursor: Any, database: PgDatabase) -> None:
        self._cursor = cursor
        self._database = database
        database._count(0, 2)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._database._count(1, 1)
        return self._cursor.execute(sql, tuple(params))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)
