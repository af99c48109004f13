"""Real Redis and PostgreSQL on loopback for the distributed-mode tests, and a stand-in S3 server.

``scripts/services.sh start`` is run once when a server does not answer (it installs and
starts what is missing); a test that needs a server that still cannot be reached, or
the ``scale`` extra when it is not installed, is skipped with the reason (under ``CI=true``
it fails, see ``conftest.py``). Every PostgreSQL test gets a schema of its own.
"""

from __future__ import annotations

import contextlib
import functools
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_BASE = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_BASE = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections there."""
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@functools.cache
def _start_services() -> str:
    """Run scripts/services.sh once; '' on success, else why not."""
    try:
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "services.sh"), "start"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"could not run scripts/services.sh: {exc}"
    return "" if done.returncode == 0 else f"scripts/services.sh failed: {done.stderr.strip()[-500:]}"


def _postgres_ok() -> bool:
    try:
        import psycopg
    except ImportError:
        return False
    try:
        with psycopg.connect(PG_BASE, connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


def require_postgres() -> str:
    """The base DSN of the test database; skips the test when PostgreSQL cannot be had."""
    pytest.importorskip("psycopg", reason="the scale extra is not installed (pip install -e '.[scale]')")
    if not _postgres_ok():
        problem = _start_services()
        if not _postgres_ok():
            pytest.skip(f"PostgreSQL cannot be started on loopback: {problem or 'not answering'}")
    return PG_BASE


def require_redis() -> str:
    """The URL of Redis on loopback; skips the test when it cannot be had."""
    redis = pytest.importorskip("redis", reason="the redis client is not installed")

    def ok() -> bool:
        try:
            return bool(redis.Redis.from_url(REDIS_BASE, socket_timeout=2).ping())
        except redis.RedisError:
            return False

    if not ok():
        problem = _start_services()
        if not ok():
            pytest.skip(f"Redis cannot be started on loopback: {problem or 'not answering'}")
    return REDIS_BASE


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A DSN whose tables land in a fresh schema, dropped afterwards."""
    base = require_postgres()  # skips (fails under CI=true) before psycopg is imported
    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextlib.contextmanager
def s3_stand_in() -> Iterator[str]:
    """moto's S3 server on a loopback port -- a stand-in for any S3-compatible store; yields its URL."""
    pytest.importorskip("moto", reason="the scale extra is not installed (pip install -e '.[scale]')")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while not port_open("127.0.0.1", port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.skip("the stand-in S3 server (moto) did not start")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()


def s3_env(endpoint: str) -> dict[str, str]:
    """Credentials the stand-in accepts (any)."""
    return {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "S3_ENDPOINT_URL": endpoint,
    }


@contextlib.contextmanager
def s3_environment() -> Iterator[str]:
    """The stand-in S3 server with its credentials and endpoint in ``os.environ``; yields its URL and
    puts the environment back afterwards."""
    with s3_stand_in() as endpoint:
        saved = {key: os.environ.get(key) for key in s3_env(endpoint)}
        os.environ.update(s3_env(endpoint))
        try:
            yield endpoint
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


@contextlib.asynccontextmanager
async def sql_job_store(kind: str, tmp_path: Path) -> AsyncIterator[Any]:
    """A fresh SqlJobStore on SQLite (``kind`` "sqlite") or on a PostgreSQL schema of its own."""
    from dashboard.local_filestack.storage.sql import SqliteDatabase
    from dashboard.local_filestack.workflows.stores.sql import SqlJobStore

    if kind == "sqlite":
        store = SqlJobStore(SqliteDatabase(tmp_path / "workflows.db"))
        try:
            yield store
        finally:
            await store.close()
        return
    with postgres_schema() as dsn:
        from dashboard.local_filestack.storage.pg import PgDatabase

        store = SqlJobStore(PgDatabase(dsn))
        try:
            yield store
        finally:
            await store.close()
