"""A local cluster of the dashboard on its distributed parts; stops everything on Ctrl-C.

    .venv/bin/python scripts/cluster.py [--port 3000] [--app-workers 2] [--queue-workers 2]

1. Redis and PostgreSQL on loopback (``scripts/services.sh start``: the running ones are
   used, missing ones are installed and started);
2. the frontend built once (``reflex export --frontend-only``), pointed at ``--port``;
3. the app: Granian serving the Reflex backend (which also serves the built frontend and the
   embedded Filestack-compatible service) with ``--app-workers`` processes behind one port,
   Reflex state in Redis, dead workers respawned;
4. ``--queue-workers`` Celery workers running workflow jobs (prefork, ``--queue-concurrency``
   processes each).

Everything shares ``DATABASE_URL`` (PostgreSQL), ``REDIS_URL``, ``STORAGE_URL`` and
``DATA_DIR``. The process ids go to ``--state`` (JSON) for tools and tests. Ctrl-C (or
SIGTERM) stops the workers, the app, then the servers this script started.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import URLError
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parent.parent
STOP_TIMEOUT_S = 20.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("CLUSTER_PORT", "3000")))
    parser.add_argument("--app-workers", type=int, default=2)
    parser.add_argument("--queue-workers", type=int, default=2)
    parser.add_argument("--queue-concurrency", type=int, default=1, help="prefork processes per queue worker")
    parser.add_argument("--app-dir", type=Path, default=ROOT, help="where rxconfig.py is")
    parser.add_argument("--data-dir", type=Path, default=None, help="default: APP_DIR/uploaded_files/cluster")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL") or "postgresql://postgres@127.0.0.1:5432/dashboard",
    )
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0")
    parser.add_argument("--storage-url", default=os.environ.get("STORAGE_URL"))
    parser.add_argument("--state", type=Path, default=ROOT / ".cluster" / "cluster.json")
    parser.add_argument("--no-services", action="store_true", help="Redis and PostgreSQL are already there")
    parser.add_argument("--no-build", action="store_true", help="the frontend is already built for this port")
    return parser.parse_args(argv)


class Cluster:
    """The processes of the cluster and how to stop them."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.app_dir: Path = args.app_dir.resolve()
        self.data_dir: Path = (args.data_dir or self.app_dir / "uploaded_files" / "cluster").resolve()
        self.logs = self.data_dir / "logs"
        self.app: subprocess.Popen[bytes] | None = None
        self.queue: list[subprocess.Popen[bytes]] = []
        self.services_started = False

    # -- environment -------------------------------------------------------

    def env(self) -> dict[str, str]:
        """The settings every process shares."""
        base = f"http://localhost:{self.args.port}"
        env = {
            **os.environ,
            "DATABASE_URL": self.args.database_url,
            "REDIS_URL": self.args.redis_url,
            "WORKFLOW_WORKERS": "celery",
            "DATA_DIR": str(self.data_dir / "filestack"),
            "EMBEDDED_BASE_URL": base,
            "REFLEX_API_URL": base,
            "REFLEX_ENV_MODE": "prod",
            "__REFLEX_MOUNT_FRONTEND_COMPILED_APP": "true",  # serve the built frontend from the backend
            "REFLEX_TELEMETRY_ENABLED": "false",
            "REFLEX_CHECK_LATEST_VERSION": "false",
            "REFLEX_USE_SYSTEM_BUN": "1",
            "PYTHONUNBUFFERED": "1",
            "PATH": f"{ROOT / '.tools' / 'node_modules' / '.bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        }
        if self.args.storage_url:
            env["STORAGE_URL"] = self.args.storage_url
        env.pop("FILESTACK_API_KEY", None)
        return env

    def _bin(self, name: str) -> str:
        local = Path(sys.executable).parent / name
        return str(local) if local.exists() else name

    def _log(self, name: str) -> int:
        self.logs.mkdir(parents=True, exist_ok=True)
        return os.open(self.logs / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen[bytes]:
        log = self._log(name)
        try:
            return subprocess.Popen(
                command,
                cwd=self.app_dir,
                env=self.env(),
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        finally:
            os.close(log)

    # -- starting ----------------------------------------------------------

    def start_services(self) -> None:
        """Redis and PostgreSQL on loopback, and the database."""
        if not self.args.no_services:
            subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "start"], check=True)
            self.services_started = True
        import psycopg

        dsn = self.args.database_url.replace("postgresql+psycopg://", "postgresql://")
        name = dsn.rsplit("/", 1)[1].split("?")[0]
        with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                conn.execute(f'CREATE DATABASE "{name}"')

    def build_frontend(self) -> None:
        """The production frontend, calling the backend on this port."""
        if self.args.no_build:
            return
        print(f"building the frontend for http://localhost:{self.args.port} ...", flush=True)
        log = self._log("build")
        try:
            subprocess.run(
                [self._bin("reflex"), "export", "--frontend-only", "--no-zip", "--env", "prod"],
                cwd=self.app_dir,
                env=self.env(),
                stdout=log,
                stderr=log,
                check=True,
            )
        finally:
            os.close(log)

    def start_app(self) -> None:
        """Granian: the Reflex backend with the built frontend and the embedded service, N workers."""
        self.app = self._spawn(
            "app",
            [
                self._bin("granian"),
                "--interface",
                "asgi",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.args.port),
                "--workers",
                str(self.args.app_workers),
                "--respawn-failed-workers",
                "--workers-kill-timeout",
                "5",
                "--log-level",
                "warning",
                "dashboard.dashboard:app",
            ],
        )

    def start_queue_worker(self, number: int) -> subprocess.Popen[bytes]:
        """One Celery worker (prefork) on the jobs and webhooks queues."""
        return self._spawn(
            f"queue-{number}",
            [
                sys.executable,
                "-m",
                "dashboard.local_filestack.workflows.celery.worker",
                "--concurrency",
                str(self.args.queue_concurrency),
                "--name",
                f"queue{number}@%h",
            ],
        )

    def wait_ready(self, timeout_s: float = 180.0) -> None:
        """Until the app answers on its port."""
        deadline = time.monotonic() + timeout_s
        url = f"http://127.0.0.1:{self.args.port}/ping"
        while time.monotonic() < deadline:
            if self.app is not None and self.app.poll() is not None:
                raise RuntimeError(f"the app exited ({self.app.returncode}); see {self.logs / 'app.log'}")
            try:
                with urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (URLError, OSError):
                pass
            time.sleep(0.3)
        raise RuntimeError(f"the app did not answer on {url} within {timeout_s:.0f} s")

    def write_state(self) -> None:
        """The process ids, for tools and tests."""
        self.args.state.parent.mkdir(parents=True, exist_ok=True)
        state = {
            "url": f"http://localhost:{self.args.port}",
            "app": self.app.pid if self.app else None,
            "queue": [worker.pid for worker in self.queue],
            "data_dir": str(self.data_dir),
            "logs": str(self.logs),
        }
        temp = self.args.state.with_suffix(".tmp")
        temp.write_text(json.dumps(state))
        temp.replace(self.args.state)

    # -- stopping ----------------------------------------------------------

    def stop(self) -> None:
        """Queue workers (warm shutdown), then the app, then the servers started here."""
        for process in [*self.queue, *([self.app] if self.app else [])]:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in [*self.queue, *([self.app] if self.app else [])]:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
        if self.services_started:
            subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "stop"], check=False)
        self.args.state.unlink(missing_ok=True)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            pass


class Stop(Exception):
    """A signal asked the cluster to stop."""


def _raise_stop(_signum: int, _frame: object) -> None:
    raise Stop


def main(argv: list[str] | None = None) -> int:
    """Start the cluster, report where it is, wait for Ctrl-C, stop it."""
    args = parse_args(argv)
    cluster = Cluster(args)
    signal.signal(signal.SIGTERM, _raise_stop)
    signal.signal(signal.SIGINT, _raise_stop)
    code = 0
    try:
        cluster.start_services()
        cluster.build_frontend()
        cluster.start_app()
        cluster.queue = [cluster.start_queue_worker(n + 1) for n in range(args.queue_workers)]
        cluster.wait_ready()
        cluster.write_state()
        print(
            f"cluster ready: http://localhost:{args.port}  ({args.app_workers} app workers, "
            f"{args.queue_workers} queue workers; logs in {cluster.logs}); Ctrl-C stops it",
            flush=True,
        )
        while cluster.app is not None and cluster.app.poll() is None:
            time.sleep(0.5)
        print(f"the app exited ({cluster.app.returncode if cluster.app else '?'}); stopping", flush=True)
        code = 1
    except Stop:
        print("stopping the cluster ...", flush=True)
    except (RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"cluster failed: {exc}", file=sys.stderr, flush=True)
        code = 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        cluster.stop()
    print("cluster stopped", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
