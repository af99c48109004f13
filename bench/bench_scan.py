"""clamd start time and the time to scan a 5 MB JPEG, with the EICAR test signatures of scripts/clamav/.

A clamd of the benchmark's own runs in a temporary directory (``scripts/ensure-clamav.sh``
with ``CLAMAV_DIR``): start is timed as ``ensure-clamav.sh start`` (config, clamd, first
PING) and as ``clamd`` alone, from its start to its first answer (it opens the socket
once the database is loaded). Scans go through :class:`dashboard.local_filestack.intelligence.scanning.Scanner`
(``INSTREAM`` plus ``VERSION``); every scanned file is new to clamd (a counter appended
after the JPEG's end), since clamd remembers the hashes of clean files and answers a
repeat from that cache, which is timed apart. Scans are timed with ClamAV's image fuzzy
hash on (the default) and off (``CLAMD_IMAGE_FUZZY_HASH=no``). Prints a Markdown table.

    .venv/bin/python bench/bench_scan.py [--starts 7] [--scans 21]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from images import InputSpec, render

from dashboard.local_filestack.intelligence.scanning import Scanner, ScannerSettings, ScanUnavailable

ENSURE = ROOT / "scripts" / "ensure-clamav.sh"
PHOTO = InputSpec("jpeg-5mb", "JPEG", 5600, 3700)
"""A 20.7 MP photo-like JPEG, about 5 MB."""
EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _script(command: str, directory: Path, **env: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        ["bash", str(ENSURE), command], env={**os.environ, "CLAMAV_DIR": str(directory), **env}, check=True
    )
    return time.perf_counter() - started


def _clamd_alone(directory: Path) -> float:
    """From starting ``clamd`` (config already written) to its first answer on the socket."""
    scanner = Scanner(ScannerSettings(socket_path=directory / "clamd.sock", timeout_s=5))
    started = time.perf_counter()
    clamd = subprocess.Popen(
        ["/usr/sbin/clamd", f"--config-file={directory / 'clamd.conf'}", "--foreground"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                scanner.version()
                return time.perf_counter() - started
            except ScanUnavailable:
                if clamd.poll() is not None:
                    raise RuntimeError(f"clamd exited with {clamd.returncode}") from None
                time.sleep(0.001)
    finally:
        clamd.terminate()
        clamd.wait(timeout=30)


def _ms(seconds: list[float]) -> str:
    return f"{statistics.median(seconds) * 1000:.0f}"


def _scans(directory: Path, photo: bytes, count: int, **env: str) -> dict[str, list[float]]:
    """Scan times of new 5 MB files, of a repeated one and of EICAR, on a clamd started with ``env``."""
    _script("start", directory, **env)
    times: dict[str, list[float]] = {"new": [], "repeat": [], "eicar": []}
    try:
        scanner = Scanner(ScannerSettings(socket_path=directory / "clamd.sock"))
        for number in range(count):
            started = time.perf_counter()
            assert not scanner.scan(photo + b"%012d" % number).infected
            times["new"].append(time.perf_counter() - started)
            started = time.perf_counter()
            scanner.scan(photo + b"%012d" % number)
            times["repeat"].append(time.perf_counter() - started)
            started = time.perf_counter()
            assert scanner.scan(EICAR).infected
            times["eicar"].append(time.perf_counter() - started)
    finally:
        _script("stop", directory)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=7)
    parser.add_argument("--scans", type=int, default=11)
    args = parser.parse_args()

    photo = render(PHOTO)
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-clamd-") as temp:
        directory = Path(temp)
        os.chmod(directory, 0o755)  # lets clamd drop to the clamav user when run as root
        script_starts, clamd_starts = [], []
        for _ in range(args.starts):
            script_starts.append(_script("start", directory))
            _script("stop", directory)
            clamd_starts.append(_clamd_alone(directory))
        fuzzy_on = _scans(directory, photo, args.scans)
        fuzzy_off = _scans(directory, photo, args.scans, CLAMD_IMAGE_FUZZY_HASH="no")
        _script("start", directory)
        try:
            signatures = Scanner(ScannerSettings(socket_path=directory / "clamd.sock")).version()
        finally:
            _script("stop", directory)

    print(
        f"{signatures} with the EICAR test signatures only; {len(photo) / 1e6:.1f} MB JPEG "
        f"({PHOTO.width} × {PHOTO.height}); medians of {args.starts} starts and {args.scans} scans; "
        f"1-minute load average {load_before:.1f} → {os.getloadavg()[0]:.1f}\n"
    )
    print("| measurement | image fuzzy hash on (default) | off |")
    print("| --- | ---: | ---: |")
    print(f"| `ensure-clamav.sh start` (config, clamd, first PING) | {_ms(script_starts)} ms | |")
    print(f"| `clamd` alone, until its first answer | {_ms(clamd_starts)} ms | |")
    rows = (
        ("scan of a new 5 MB JPEG (INSTREAM + VERSION)", "new"),
        ("the same JPEG again (clamd's clean cache)", "repeat"),
        ("the 68-byte EICAR file", "eicar"),
    )
    for label, key in rows:
        print(f"| {label} | {_ms(fuzzy_on[key])} ms | {_ms(fuzzy_off[key])} ms |")


if __name__ == "__main__":
    main()
