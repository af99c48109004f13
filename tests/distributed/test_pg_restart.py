"""The service's PostgreSQL connections outlive a restart of the server: the next statement just works."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .own_servers import OwnPostgres, ServerMissing

pytestmark = pytest.mark.distributed


@pytest.fixture()
def postgres() -> Iterator[OwnPostgres]:
    pytest.importorskip("psycopg", reason="the scale extra is not installed (pip install -e '.[scale]')")
    try:
        server = OwnPostgres()
    except ServerMissing as missing:
        pytest.skip(str(missing))  # CI=true turns this into a failure
    try:
        server.start()
        yield server
    finally:
        server.close()


def test_statements_and_transactions_after_a_restart_run_once(postgres: OwnPostgres) -> None:
    from dashboard.local_filestack.storage.pg import PgDatabase

    db = PgDatabase(postgres.url)
    try:
        db.query("CREATE TABLE counted (n INTEGER)")
        db.execute([("INSERT INTO counted VALUES (%s)", (1,))])
        postgres.restart()  # the idle connection is ended by the server
        assert db.query("SELECT count(*) FROM counted") == [(1,)]
        postgres.restart()
        db.execute([("INSERT INTO counted VALUES (%s)", (2,))])  # a transaction's BEGIN meets the ended one
        with db.transaction() as cursor:
            cursor.execute("INSERT INTO counted VALUES (%s)", (3,))
        assert db.query("SELECT n FROM counted ORDER BY n") == [(1,), (2,), (3,)]  # each once
    finally:
        db.close()
