"""clamd instances of the tests' own, on temporary sockets, with the EICAR signatures of scripts/clamav/.

Each instance is ``scripts/ensure-clamav.sh start`` with ``CLAMAV_DIR`` set to a
temporary directory, so the tests run the same config the project runs. When
clamd is not installed the script installs it first; if that fails the tests
are skipped with the reason, except under ``CI=true``, where it is a failure.
"""

from __future__ import annotations

import contextlib
import functools
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.local_filestack.intelligence.scanning import ScannerSettings

ROOT = Path(__file__).resolve().parent.parent
ENSURE = ROOT / "scripts" / "ensure-clamav.sh"
CLAMD = Path("/usr/sbin/clamd")
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
"""The 68-byte EICAR anti-virus test file."""


def _run(command: str, directory: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **env}
    if directory is not None:
        environment["CLAMAV_DIR"] = str(directory)
    return subprocess.run(
        ["bash", str(ENSURE), command],
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@functools.cache
def _install() -> str:
    """Run ``ensure-clamav.sh install`` once; '' when clamd is there, else why not."""
    if CLAMD.exists():
        return ""
    done = _run("install")
    if done.returncode != 0 or not CLAMD.exists():
        return f"scripts/ensure-clamav.sh install failed: {done.stderr.strip()[-500:]}"
    return ""


def require_clamd() -> None:
    """clamd is installed; otherwise skip (or fail under CI=true) with the reason."""
    problem = _install()
    if not problem:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"clamd is required under CI=true: {problem}")
    pytest.skip(f"clamd is not installed and could not be: {problem}")


@contextlib.contextmanager
def clamd_instance(directory: Path, **env: str) -> Iterator[ScannerSettings]:
    """A clamd of its own in ``directory``; yields the settings that reach it, stops it afterwards.

    ``env`` passes the script's variables, e.g. ``CLAMD_STREAM_MAX_BYTES``.
    """
    require_clamd()
    started = _run("start", directory, **env)
    if started.returncode != 0:
        pytest.fail(f"clamd did not start: {started.stderr.strip()[-2000:]}")
    try:
        yield ScannerSettings(socket_path=directory / "clamd.sock", timeout_s=30)
    finally:
        stop_clamd(directory)


def stop_clamd(directory: Path) -> None:
    """Stop the clamd started in ``directory`` (waits for it to exit)."""
    stopped = _run("stop", directory)
    if stopped.returncode != 0:
        raise RuntimeError(f"clamd did not stop: {stopped.stderr.strip()}")
