"""The whole app run for a benchmark as a person runs it (``reflex run`` or ``make run``), on free ports.

A fresh data directory and database per run; the process group is stopped on exit; every
tracked file the run rewrote (``reflex run`` rewrites ``reflex.lock`` and ``package.json``
into one line) is restored, so a benchmark leaves the tree as it found it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT_S = 300.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium_path() -> str | None:
    """Debian's Chromium, where it is installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def changed_tracked_files() -> set[str]:
    """Tracked files that differ from the checked-out commit."""
    out = subprocess.run(
        ["git", "diff", "HEAD", "--name-only", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    return set(filter(None, out.split("\0")))


@contextlib.contextmanager
def tree_left_clean() -> Iterator[None]:
    """Restore every tracked file the block changed (files already changed before are left alone)."""
    before = changed_tracked_files()
    try:
        yield
    finally:
        touched = sorted(changed_tracked_files() - before)
        if touched:
            subprocess.run(["git", "checkout", "--", *touched], cwd=ROOT, check=True)


@dataclass
class App:
    frontend: str
    backend: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    started_s: float

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def answering(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def wait_until_answering(app: App, url: str, timeout_s: float = START_TIMEOUT_S) -> float:
    """Seconds from the app's start until ``url`` answers (polled every 50 ms)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if app.process.poll() is not None:
            raise RuntimeError(f"the app exited with {app.process.returncode}:\n{app.log_tail()}")
        if answering(url):
            return time.monotonic() - app.started_s
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout_s:g} s:\n{app.log_tail()}")


def app_env(data: Path, frontend_port: int, backend_port: int) -> dict[str, str]:
    backend = f"http://localhost:{backend_port}"
    env = {
        **os.environ,
        "DATA_DIR": str(data / "filestack"),
        "DATABASE_URL": f"sqlite:///{data / 'dashboard.db'}",
        "EMBEDDED_BASE_URL": backend,
        "REFLEX_FRONTEND_PORT": str(frontend_port),
        "REFLEX_BACKEND_PORT": str(backend_port),
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
        "UPLOAD_RATE_LIMIT": "10000",
        # After "Saved." the page offers Undo for this long, and until it ends the upload's request
        # stays open, during which Reflex's page ignores the next drop on that slot: with the
        # default 10 s, each timed drop would wait 10 s for the one before.
        "PHOTO_UNDO_WINDOW_S": "0.5",
    }
    env.pop("FILESTACK_API_KEY", None)
    tools = ROOT / ".tools" / "node_modules" / ".bin"
    env["PATH"] = f"{tools}:{env.get('PATH', '')}"
    return env


@contextlib.contextmanager
def running_app(command: list[str] | None = None, *, wait: bool = True) -> Iterator[App]:
    """``reflex run`` (or ``command``) on free ports with a fresh data dir; stopped on exit."""
    frontend_port, backend_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="bench-app-") as tmp, tree_left_clean():
        data = Path(tmp)
        log = data / "app.log"
        reflex = ROOT / ".venv" / "bin" / "reflex"
        command = command or [
            str(reflex),
            "run",
            "--frontend-port",
            str(frontend_port),
            "--backend-port",
            str(backend_port),
        ]
        with log.open("wb") as out:
            started = time.monotonic()
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=app_env(data, frontend_port, backend_port),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        app = App(
            f"http://localhost:{frontend_port}",
            f"http://localhost:{backend_port}",
            data,
            process,
            log,
            started,
        )
        try:
            if wait:
                wait_until_answering(app, f"{app.backend}/ping")
                wait_until_answering(app, app.frontend)
            yield app
        finally:
            stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the process and its whole group (Reflex starts bun and the backend under it)."""
    if process.poll() is not None:
        return
    group = os.getpgid(process.pid)
    os.killpg(group, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        process.wait(timeout=10)
