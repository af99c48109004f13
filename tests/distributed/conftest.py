"""A real local cluster for the multi-process tests: ``scripts/cluster.py`` on free ports.

Redis and PostgreSQL on loopback (started when missing, see ``tests/scale_support.py``),
a database and a Redis database of the test's own, two app workers (Granian) behind one
port and two Celery queue workers. The app runs from a copy of the app directory, so the
build never touches the work tree's ``.web``. The broker keeps its default visibility timeout
(600 s): a killed worker's job reaches another worker through its expired lease, not the broker.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from scale_support import ROOT, free_port, require_postgres, require_redis

VISIBILITY_TIMEOUT_S = 600
#: Seconds a queue worker's lease on a running job lasts without a renewal (the default).
LEASE_S = 10


@dataclass
class Cluster:
    """A running cluster: its URL, its processes, its database."""

    url: str
    app_pid: int
    queue_pids: list[int]
    database_url: str
    redis_url: str
    data_dir: Path
    logs: Path
    api_key: str
    app_secret: str

    def app_worker_pids(self) -> list[int]:
        """The app's worker processes (children of the Granian supervisor)."""
        import psutil

        return [child.pid for child in psutil.Process(self.app_pid).children()]

    def log_tail(self, name: str, lines: int = 40) -> str:
        """The end of one process's log."""
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def sql(self, query: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        """Rows of a query on the cluster's database."""
        import psycopg

        with psycopg.connect(self.database_url) as conn:
            return conn.execute(query, params).fetchall()


def _app_dir(base: Path) -> Path:
    """A copy of what ``reflex`` needs to build and run the app; the package itself is linked."""
    app = base / "app"
    app.mkdir()
    for name in ("rxconfig.py", "alembic.ini", "pyproject.toml"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, app / name)
    for name in ("assets", "alembic"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, app / name, symlinks=True)
    (app / "dashboard").symlink_to(ROOT / "dashboard")
    if (ROOT / ".web" / "node_modules").exists():  # saves the frontend install; the build is redone
        web = ROOT / ".web"
        shutil.copytree(
            web,
            app / ".web",
            symlinks=True,
            ignore=lambda folder, _names: ["build"] if Path(folder) == web else [],
        )
    (app / "uploaded_files").mkdir()
    return app


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """The cluster, started once for the distributed tests."""
    pg_base = require_postgres()
    redis_base = require_redis()
    pytest.importorskip("celery", reason="the scale extra is not installed (pip install -e '.[scale]')")
    import psycopg
    import redis

    base = tmp_path_factory.mktemp("cluster")
    database = f"dist_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_base, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{database}"')
    database_url = f"{pg_base.rsplit('/', 1)[0]}/{database}"
    redis_url = _free_redis_db(redis_base)
    try:
        with running_cluster(base, database_url, redis_url) as started:
            yield started
    finally:
        with contextlib.suppress(psycopg.Error), psycopg.connect(pg_base, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        with contextlib.suppress(redis.RedisError):
            redis.Redis.from_url(redis_url).flushdb()


@contextlib.contextmanager
def running_cluster(base: Path, database_url: str, redis_url: str) -> Iterator[Cluster]:
    """``scripts/cluster.py`` in ``base`` on a free port with these servers; stopped (SIGINT) at the end."""
    app_dir = _app_dir(base)
    port = free_port()
    state = base / "state.json"
    # The cluster may fetch from itself (store from a URL), and from no other private address.
    env = {
        **os.environ,
        "QUEUE_VISIBILITY_TIMEOUT_S": str(VISIBILITY_TIMEOUT_S),
        "WORKFLOW_LEASE_S": str(LEASE_S),
        "FETCH_ALLOWED_HOSTS": f"127.0.0.1:{port}",
    }
    for key in ("DATA_DIR", "STORAGE_URL", "FILESTACK_API_KEY"):
        env.pop(key, None)
    output = (base / "cluster.out").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "cluster.py"),
            "--port",
            str(port),
            "--app-dir",
            str(app_dir),
            "--database-url",
            database_url,
            "--redis-url",
            redis_url,
            "--state",
            str(state),
            "--no-services",
            "--data-dir",
            str(base / "data"),
        ],
        cwd=ROOT,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 600
        while not state.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"the cluster did not start:\n{(base / 'cluster.out').read_text()[-3000:]}\n"
                    f"{_tail(base / 'data' / 'logs' / 'app.log')}"
                )
            time.sleep(0.5)
        info = json.loads(state.read_text())
        creds = json.loads((base / "data" / "filestack" / "credentials.json").read_text())
        yield Cluster(
            url=f"http://127.0.0.1:{port}",
            app_pid=info["app"],
            queue_pids=info["queue"],
            database_url=database_url,
            redis_url=redis_url,
            data_dir=Path(info["data_dir"]),
            logs=Path(info["logs"]),
            api_key=creds["api_key"],
            app_secret=creds["app_secret"],
        )
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        output.close()


def _free_redis_db(base: str) -> str:
    """An empty Redis database (1-10) for this session; other test runs may share the server."""
    import redis

    for number in random.sample(range(1, 11), 10):
        url = f"{base.rstrip('/')}/{number}"
        if redis.Redis.from_url(url).dbsize() == 0:
            return url
    pytest.skip("no empty Redis database among 1-10 on the test server")


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""


def wait_until(condition, timeout_s: float, interval_s: float = 0.2, message: str = "condition") -> None:
    """Poll ``condition()`` until true; fail the test after ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    pytest.fail(f"{message} not reached within {timeout_s:.0f} s")


def client(cluster: Cluster) -> httpx.Client:
    """An HTTP client on the cluster's one port."""
    return httpx.Client(base_url=cluster.url, timeout=30)
