"""The embedded service as a real process (``python -m dashboard.local_filestack``) on a free port.

Used by the fault tests (SIGKILL and restart) and the load test: it is the service exactly as
it runs on its own, with uvicorn, its process pool and its files on disk.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Self

import httpx

ROOT = Path(__file__).resolve().parents[1]


class ServiceDidNotStart(RuntimeError):
    """The service process exited or did not answer ``/health`` in time."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """Starts, kills and restarts one service process on ``data_dir``; its output goes to ``log``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        args: tuple[str, ...] = (),
        env: dict[str, str] | None = None,
        prefix: tuple[str, ...] = (),
        log: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.args = args
        self.env = env or {}
        #: A command the service runs under (which must ``exec`` it), e.g. one entering a
        #: mount namespace; files are then read through :meth:`seen_from_here`.
        self.prefix = prefix
        self.log = log or self.data_dir.parent / f"{self.data_dir.name}-service.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        """The service's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> dict[str, str]:
        """The API key and app secret the service generated in its data dir."""
        data: dict[str, str] = json.loads(
            (self.seen_from_here(self.data_dir) / "credentials.json").read_text()
        )
        return data

    def seen_from_here(self, path: Path) -> Path:
        """``path`` as the running service sees it (through its mount namespace, if it has one)."""
        if not self.prefix:
            return path
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("the service's own view of its files ends with its process")
        return Path(f"/proc/{self.process.pid}/root") / path.relative_to("/")

    def start(self, timeout_s: float = 60.0) -> ServiceProcess:
        """Start the process (in its own session) and wait until ``/health`` answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [
            *self.prefix,
            sys.executable,
            "-m",
            "dashboard.local_filestack",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
            *self.args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **self.env}
        env["FILESTACK_API_KEY"] = ""  # blank, not absent: a value in a .env file must not apply
        env["FILESTACK_APP_SECRET"] = ""
        with self.log.open("ab") as out:
            out.write(f"\n--- start {self.starts + 1}: {' '.join(command)}\n".encode())
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.starts += 1
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServiceDidNotStart(
                    f"the service exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise ServiceDidNotStart(
            f"{self.url}/health did not answer within {timeout_s:g} s:\n{self.log_tail()}"
        )

    def kill(self) -> None:
        """SIGKILL the service process itself, as a crash or the OOM killer would, and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self._reap_group(signal.SIGKILL)

    def stop(self) -> None:
        """Stop the process cleanly (SIGTERM), then anything left of its process group."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.send_signal(signal.SIGKILL)
                self.process.wait(timeout=30)
        self._reap_group(signal.SIGKILL)

    def _reap_group(self, sig: signal.Signals) -> None:
        """End the worker processes the service started (its own session, so its own group)."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def log_tail(self, lines: int = 60) -> str:
        """The end of the service's output."""
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
