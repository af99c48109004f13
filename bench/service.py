"""The embedded service run for a benchmark: its own process, 127.0.0.1 only, a temporary data dir.

The server is ``python -m dashboard.local_filestack`` as a user would start it,
with a fixed key and secret in its environment; :func:`running_service` waits
for ``/health`` (bounded) and stops the process on exit. The peak resident
memory of the server process is read from ``/proc`` when it exits.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
API_KEY = "BENCHAPIKEYabcdefghij0"
APP_SECRET = "bench-app-secret"
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 15.0


class ServiceDidNotStart(RuntimeError):
    """The service process exited or did not answer ``/health`` in time."""


@dataclass
class Service:
    """A running service process."""

    base_url: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    peak_rss_mib: float | None = field(default=None)

    def current_peak_rss_mib(self) -> float | None:
        """The server process's peak resident set size so far (``VmHWM``), in MiB."""
        return _vm_hwm_mib(self.process.pid)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def _wait_healthy(base_url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    with httpx.Client(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServiceDidNotStart(f"the service exited with status {process.returncode}")
            try:
                if client.get("/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise ServiceDidNotStart(f"the service did not answer /health within {START_TIMEOUT_S:g} s")


@contextlib.contextmanager
def running_service(extra_env: dict[str, str] | None = None) -> Iterator[Service]:
    """Start the service on a free loopback port with a fresh data dir; stop it on exit."""
    with tempfile.TemporaryDirectory(prefix="bench-service-") as tmp:
        data_dir = Path(tmp)
        port = _free_port()
        env = {
            **os.environ,
            "FILESTACK_API_KEY": API_KEY,
            "FILESTACK_APP_SECRET": APP_SECRET,
            "PYTHONPATH": str(ROOT),
            **(extra_env or {}),
        }
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard.local_filestack",
                "--host",
                HOST,
                "--port",
                str(port),
                "--data-dir",
                str(data_dir),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        service = Service(base_url=f"http://{HOST}:{port}", data_dir=data_dir, process=process)
        try:
            _wait_healthy(service.base_url, process)
            yield service
        finally:
            service.peak_rss_mib = service.current_peak_rss_mib()
            if process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=STOP_TIMEOUT_S)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(timeout=STOP_TIMEOUT_S)


def upload(client: httpx.Client, data: bytes, filename: str, mimetype: str) -> str:
    """Store ``data`` with the simple store call; the new handle."""
    response = client.post(
        "/www/api/store/S3",
        params={"key": API_KEY, "filename": filename},
        content=data,
        headers={"Content-Type": mimetype},
    )
    response.raise_for_status()
    url: str = response.json()["url"]
    return url.rstrip("/").rsplit("/", 1)[1]
