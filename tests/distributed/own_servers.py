"""A Redis and a PostgreSQL of the test's own, on free loopback ports, that it may stop and start.

The machine's shared servers are never touched: these run from temp directories (``redis-server``
with an append-only file, so a restart keeps the queue as a real deployment's would; ``initdb`` and
``pg_ctl`` from Debian's ``/usr/lib/postgresql/*/bin``, as the ``postgres`` user when run as root).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from scale_support import free_port, port_open


class ServerMissing(RuntimeError):
    """The server's binaries are not installed."""


def _wait_port(port: int, up: bool, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while port_open("127.0.0.1", port) != up:
        if time.monotonic() > deadline:
            raise TimeoutError(f"port {port} did not {'open' if up else 'close'} within {timeout_s:g} s")
        time.sleep(0.1)


class OwnRedis:
    """``redis-server`` on a free port with its data in a temp directory."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            raise ServerMissing("redis-server is not installed")
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-redis-"))
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        log = (self.dir / "redis.log").open("ab")
        self.process = subprocess.Popen(
            [
                str(self.binary),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                # What Reflex sets at start (CONFIG SET), kept across the restart as a config file would.
                "--notify-keyspace-events",
                "K$sgxe",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        _wait_port(self.port, up=True)

    def stop(self) -> None:
        """A clean shutdown (SIGTERM: Redis writes its append-only file and exits)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        _wait_port(self.port, up=False)

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1

    def close(self) -> None:
        with contextlib.suppress(TimeoutError, subprocess.TimeoutExpired):
            self.stop()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _postgres_bin() -> Path:
    for candidate in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (candidate / "initdb").exists() and (candidate / "pg_ctl").exists():
            return candidate
    raise ServerMissing("PostgreSQL's initdb and pg_ctl are not under /usr/lib/postgresql/*/bin")


class OwnPostgres:
    """A PostgreSQL cluster initialised in a temp directory, on a free port, trust auth on loopback."""

    def __init__(self) -> None:
        self.bin = _postgres_bin()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="chaos-pg-"))
        self.data = self.dir / "data"
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self.restarts = 0

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/dashboard"

    def _run(self, *command: str) -> None:
        subprocess.run([*self.as_postgres, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        if not self.data.exists():
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust")
            self._pg_ctl("start")
            import psycopg

            with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
                conn.execute("CREATE DATABASE dashboard")
            return
        self._pg_ctl("start")

    def _pg_ctl(self, action: str) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c max_connections=200 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.dir / "pg.log"),
            "-w",
            "-o",
            options,
            action,
        )

    def stop(self) -> None:
        """A fast shutdown: every connection is ended, as a restart of the server does."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()
        self.restarts += 1

    def close(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
