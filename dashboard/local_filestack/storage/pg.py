"""PostgreSQL for the service's stores (psycopg 3, imported only when used): a :class:`~.sql.Database`.

One connection per thread and process, in autocommit mode; :meth:`PgDatabase.transaction`
groups statements. A connection inherited through a fork (multi-worker servers) is replaced
on the next use. A connection the server ended (a restart: every idle connection is told
``terminating connection due to administrator command``) is replaced too, and the statement,
or the ``BEGIN`` of a transaction, that found it ended is sent again on the new one, waiting
up to :data:`RECONNECT_S` for the server to come back: the server ran none of it. A
transaction whose connection is lost after ``BEGIN`` fails as before (its work rolled back).
Every statement is counted, so benchmarks can report the database's cost per job.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from dashboard.local_filestack.storage.sql import POSTGRES, Database

if TYPE_CHECKING:
    import psycopg

logger = logging.getLogger(__name__)

#: How long a statement waits for a restarting server before giving up.
RECONNECT_S = 60.0
#: SQLSTATEs of a server ending connections it did not run anything on (admin or crash shutdown,
#: not accepting connections yet).
_ENDED_BY_SERVER = frozenset({"57P01", "57P02", "57P03"})


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

    def _lost(self, conn: psycopg.Connection[Any], exc: Exception) -> bool:
        """Whether ``exc`` says the server ended ``conn`` (so what was sent on it did not run)."""
        return getattr(exc, "sqlstate", None) in _ENDED_BY_SERVER or (
            conn.broken and getattr(exc, "sqlstate", None) is None
        )

    def _with_connection(self, work: Callable[[psycopg.Connection[Any]], Any]) -> Any:
        """``work(conn)``; on a connection the server ended, again on a new one (up to RECONNECT_S)."""
        import psycopg

        deadline = time.monotonic() + RECONNECT_S
        while True:
            try:
                conn = self._connection()
            except PostgresUnavailable:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
                continue
            try:
                return work(conn)
            except psycopg.OperationalError as exc:
                if not self._lost(conn, exc) or time.monotonic() > deadline:
                    raise
                logger.warning("PostgreSQL ended the connection (%s); sending again on a new one", exc)
                with contextlib.suppress(psycopg.Error):
                    conn.close()

    def _count(self, statements: int, round_trips: int) -> None:
        with self._lock:
            self.statements += statements
            self.round_trips += round_trips

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Rows of one statement (one round trip)."""

        def run(conn: psycopg.Connection[Any]) -> list[tuple[Any, ...]]:
            self._count(1, 1)
            with conn.cursor() as cursor:
                cursor.execute(sql, tuple(params))
                return cursor.fetchall() if cursor.description is not None else []

        rows: list[tuple[Any, ...]] = self._with_connection(run)
        return rows

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Cursor[Any]]:
        """A cursor whose statements commit together (or roll back on an error)."""
        stack = contextlib.ExitStack()

        def begin(conn: psycopg.Connection[Any]) -> psycopg.Connection[Any]:
            stack.enter_context(conn.transaction())  # sends BEGIN
            return conn

        conn = self._with_connection(begin)
        with stack, conn.cursor() as cursor:
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
