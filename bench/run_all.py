"""Run every benchmark and (re)write the measured sections of BENCHMARKS.md.

    .venv/bin/python bench/run_all.py [--out BENCHMARKS.md] [--quick] [--no-intelligence]

The inputs are generated into a temporary directory (``bench/images.py``) and
removed at the end. Each benchmark runs as its own process and prints JSON
(the intelligence benchmark prints a Markdown table); the load average is
recorded before and after each. Only the blocks between
``<!-- bench:begin NAME -->`` and ``<!-- bench:end NAME -->`` markers are
replaced, so text written around them (and sections others fill) is kept.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from images import INPUTS, generate
from report import render_sections

STEP_TIMEOUT_S = 300.0
TEMPLATE = BENCH / "BENCHMARKS.template.md"


class BenchmarkFailed(RuntimeError):
    """A benchmark process failed or printed no result."""


@dataclass(frozen=True)
class Step:
    """One benchmark script and its arguments."""

    name: str
    script: str
    args: tuple[str, ...]
    json_output: bool = True
    timeout_s: float = STEP_TIMEOUT_S


def _loadavg() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def wait_for_calm(threshold: float, max_wait_s: float) -> float:
    """Wait (at most ``max_wait_s``) for the 1-minute load average to fall below ``threshold``.

    Returns the load average when the wait ended; other processes on a shared
    machine make the numbers move, so the benchmark starts in a quiet moment if one comes.
    """
    deadline = time.monotonic() + max_wait_s
    while os.getloadavg()[0] >= threshold and time.monotonic() < deadline:
        time.sleep(5.0)
    return round(os.getloadavg()[0], 2)


def run_step(step: Step, images: Path) -> dict[str, Any]:
    """Run one benchmark; its result, wall time and the load average around it."""
    before = _loadavg()
    started = time.perf_counter()
    command = [sys.executable, str(BENCH / step.script), *step.args]
    if step.json_output:
        command += ["--images", str(images)]
    print(f"== {step.name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
    completed = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=step.timeout_s, check=False
    )
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise BenchmarkFailed(f"{step.name} exited with {completed.returncode}:\n{completed.stderr[-4000:]}")
    output = completed.stdout.strip()
    result: Any = json.loads(output.splitlines()[-1]) if step.json_output else output
    return {
        "result": result,
        "seconds": seconds,
        "load_before": before,
        "load_after": _loadavg(),
        "command": "python "
        + " ".join(["bench/" + step.script, *step.args] + (["--images", "DIR"] if step.json_output else [])),
    }


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    from PIL import Image, features

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    info: dict[str, Any] = {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": memory_gib,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pillow": Image.__version__,
        "libjpeg_turbo": features.version("libjpeg_turbo"),
        "libwebp": features.version("webp"),
    }
    try:
        import pyvips

        info["pyvips"] = (
            f"{pyvips.__version__} (libvips {pyvips.version(0)}.{pyvips.version(1)}.{pyvips.version(2)})"
        )
    except (ImportError, OSError) as exc:
        info["pyvips"] = f"not available ({exc})"
    return info


def update_markdown(path: Path, sections: dict[str, str]) -> None:
    """Replace each marked block of ``path`` (created from the template when missing)."""
    text = path.read_text() if path.exists() else TEMPLATE.read_text()
    for name, body in sections.items():
        pattern = re.compile(
            rf"(<!-- bench:begin {re.escape(name)} -->\n).*?(<!-- bench:end {re.escape(name)} -->)", re.DOTALL
        )
        block = f"<!-- bench:begin {name} -->\n{body.rstrip()}\n<!-- bench:end {name} -->"
        if pattern.search(text):
            text = pattern.sub(lambda _match, replacement=block: replacement, text, count=1)
        else:
            text = text.rstrip() + f"\n\n{block}\n"
    path.write_text(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--quick", action="store_true", help="fewer repetitions (a smoke run, not for the table)"
    )
    parser.add_argument("--no-intelligence", action="store_true", help="skip bench/bench_intelligence.py")
    parser.add_argument(
        "--no-browser", action="store_true", help="skip the Chromium and developer-loop benchmarks"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the raw results here")
    parser.add_argument("--calm-load", type=float, default=1.5, help="wait for a 1-minute load below this")
    parser.add_argument("--calm-wait", type=float, default=90.0, help="at most this many seconds")
    args = parser.parse_args()
    quick = args.quick
    steps = [
        Step("thumbnail", "bench_thumbnail.py", ("--rounds", "3" if quick else "9")),
        Step(
            "preview",
            "bench_preview_http.py",
            ("--cold", "4" if quick else "12", "--warm", "100" if quick else "500"),
        ),
        Step(
            "engine",
            "bench_engine.py",
            ("--jobs", "300" if quick else "2000", "--window", "2" if quick else "5"),
        ),
        Step("profile", "bench_profile_flow.py", ("--runs", "3" if quick else "9")),
        Step("status", "bench_status.py", ("--window", "2" if quick else "4")),
    ]
    if not args.no_browser:
        # reflex run + Chromium; the first run of a fresh checkout also installs the page's packages.
        steps.append(Step("browser", "bench_browser.py", ("--runs", "3" if quick else "10"), timeout_s=900))
        steps.append(Step("devloop", "bench_devloop.py", ("--edits", "2" if quick else "4"), timeout_s=900))
    if not args.no_intelligence:
        steps.append(
            Step(
                "intelligence",
                "bench_intelligence.py",
                ("--repeat", "3" if quick else "7"),
                json_output=False,
            )
        )
        steps.append(Step("tasks", "bench_tasks.py", ("--repeat", "3" if quick else "5"), json_output=False))
    started = time.perf_counter()
    images = Path(tempfile.mkdtemp(prefix="bench-images-"))
    try:
        generation_started = time.perf_counter()
        paths = generate(images)
        inputs = [
            {
                "name": spec.name,
                "format": spec.fmt,
                "size": [spec.width, spec.height],
                "bytes": paths[spec.name].stat().st_size,
            }
            for spec in INPUTS
        ]
        generation_s = time.perf_counter() - generation_started
        start_load = wait_for_calm(args.calm_load, args.calm_wait)
        results = {step.name: run_step(step, images) for step in steps}
    finally:
        shutil.rmtree(images, ignore_errors=True)
    report = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "inputs": inputs,
        "generation_s": generation_s,
        "total_s": time.perf_counter() - started,
        "quick": quick,
        "start_load": start_load,
        "steps": results,
    }
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=1))
    update_markdown(args.out, render_sections(report))
    print(f"wrote {args.out} in {report['total_s']:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
