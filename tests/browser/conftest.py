"""Start the app as a person does (``reflex run``) on free ports, and a headless Chromium.

The app runs on the embedded service with a fresh data directory and database, so the
tests see a first-run profile. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
#: The account ``ADMIN_USERNAMES`` names in the app under test.
STUDIO_ADMIN = "studio-dev"
#: The admins the accessibility scans sign up (the studio's pages are scanned as an admin sees them).
A11Y_ADMIN = "axe-admin"
TOUCH_ADMIN = "touch-admin"
#: The admin who releases held files in the jobs console's quarantine panel.
QUARANTINE_ADMIN = "quarantine-admin"
#: A loopback address the app's file service may fetch from (``FETCH_ALLOWED_HOSTS``): tests serve photos there.
LINK_HOST = "127.0.0.2"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    """Debian's Chromium, where it is installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def tracked_changes() -> dict[str, str]:
    """Each tracked file that differs from the checked-out commit, with a hash of its content now."""
    changed = subprocess.run(
        ["git", "diff", "HEAD", "--name-only", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode()
    changes = {}
    for name in filter(None, changed.split("\0")):
        path = ROOT / name
        changes[name] = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "deleted"
    return changes


class RunningApp:
    """The app's URLs and its process."""

    def __init__(
        self,
        frontend: str,
        backend: str,
        process: subprocess.Popen,
        log: Path,
        tracked_before: dict[str, str],
    ) -> None:
        self.frontend = frontend
        self.backend = backend
        self.process = process
        self.log = log
        #: :func:`tracked_changes` just before ``reflex run`` started.
        self.tracked_before = tracked_before

    def log_tail(self, lines: int = 60) -> str:
        """The end of the app's output, for failure messages."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def _wait_for(url: str, process: subprocess.Popen, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the app exited with {process.returncode}:\n{log.read_text(errors='replace')[-4000:]}"
            )
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(
        f"{url} did not answer within {timeout_s:.0f} s:\n{log.read_text(errors='replace')[-4000:]}"
    )


@pytest.fixture(scope="session")
def running_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """``reflex run`` in dev mode on free ports with its own data directory."""
    if chromium_path() is None:
        pytest.skip("no Chromium on this machine")
    data = tmp_path_factory.mktemp("app-data")
    ARTIFACTS.mkdir(exist_ok=True)
    frontend_port, backend_port = _free_port(), _free_port()
    backend = f"http://localhost:{backend_port}"
    env = {
        **os.environ,
        "DATA_DIR": str(data / "filestack"),
        "DATABASE_URL": f"sqlite:///{data / 'dashboard.db'}",
        "EMBEDDED_BASE_URL": backend,
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "REFLEX_CHECK_LATEST_VERSION": "false",
        "PYTHONUNBUFFERED": "1",
        # Screenshots taken mid-test must not restart the backend (hot reload watches the project).
        "REFLEX_HOT_RELOAD_EXCLUDE_PATHS": str(ARTIFACTS),
        # The studio's and the scans' tests sign up these admins (the first account of a run is one too,
        # but which test signs up first must not matter).
        "ADMIN_USERNAMES": f"{STUDIO_ADMIN},{A11Y_ADMIN},{TOUCH_ADMIN},{QUARANTINE_ADMIN}",
        "FETCH_ALLOWED_HOSTS": LINK_HOST,
    }
    env.pop("FILESTACK_API_KEY", None)
    log = data / "app.log"
    reflex = ROOT / ".venv" / "bin" / "reflex"
    command = [
        str(reflex if reflex.exists() else "reflex"),
        "run",
        "--frontend-port",
        str(frontend_port),
        "--backend-port",
        str(backend_port),
    ]
    tracked_before = tracked_changes()
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    app = RunningApp(f"http://localhost:{frontend_port}", backend, process, log, tracked_before)
    try:
        _wait_for(f"{backend}/ping", process, log, 600)
        _wait_for(app.frontend, process, log, 600)
        yield app
    finally:
        with_group = os.getpgid(process.pid) if process.poll() is None else None
        if with_group is not None:
            os.killpg(with_group, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(with_group, signal.SIGKILL)


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium on this machine")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=executable,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture()
def artifacts() -> Path:
    """Where screenshots are saved."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
