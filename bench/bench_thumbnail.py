"""The 400 px avatar thumbnail: this project against naive Pillow and pyvips ``thumbnail``.

Every method makes the same thing from the same bytes: a 400 × 400 centre crop,
encoded as JPEG quality 85.

* ``project`` -- :func:`dashboard.local_filestack.imaging.transform` with
  ``resize=width:400,height:400,fit:crop/output=format:jpg`` (shrink-on-load,
  Lanczos, EXIF orientation, metadata handling: the CDN's own path);
* ``project-pillow`` -- the same with the libvips shrink-on-load of PNG and WebP
  turned off (only where it differs from ``project``);
* ``naive`` -- Pillow ``open`` + ``resize(LANCZOS, box=centre square)`` + ``save``,
  no ``draft``, no ``reducing_gap``;
* ``pyvips`` -- ``pyvips.Image.thumbnail_buffer(data, 400, height=400, crop="centre")``
  + ``jpegsave_buffer(Q=85)``, operation cache off, libvips' default threads.

Timing: the methods run interleaved, round after round, in this one process
(so background load hits all of them alike); the median of the rounds is
reported. Peak RSS: each method runs once in a fresh spawned process, which
reports its peak resident set size (``VmHWM``) and the same figure just
before the call (imports done and the input bytes already in memory).

Prints one JSON object.

    .venv/bin/python bench/bench_thumbnail.py --images DIR [--rounds 7]
"""

from __future__ import annotations

import argparse
import importlib
import io
import json
import multiprocessing
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from images import INPUTS, generate

SIDE = 400
QUALITY = 85
CHAIN = f"resize=width:{SIDE},height:{SIDE},fit:crop/output=format:jpg"
METHODS = ("project", "project-pillow", "naive", "pyvips")
RSS_TIMEOUT_S = 120.0


def _project(data: bytes, use_vips: bool) -> bytes:
    from dashboard.filestack_protocol.grammar import parse_task
    from dashboard.local_filestack.imaging import transform, vips_shrink

    tasks = [parse_task(segment) for segment in CHAIN.split("/")]
    vips_shrink.ENABLED = use_vips and vips_shrink.available()
    return transform(data, tasks).data


def _naive(data: bytes) -> bytes:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        side = min(image.size)
        left, top = (image.width - side) / 2, (image.height - side) / 2
        thumb = image.convert("RGB").resize(
            (SIDE, SIDE), Image.Resampling.LANCZOS, box=(left, top, left + side, top + side)
        )
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=QUALITY)
    return out.getvalue()


def _pyvips(data: bytes) -> bytes:
    import pyvips

    pyvips.cache_set_max(0)
    thumb = pyvips.Image.thumbnail_buffer(data, SIDE, height=SIDE, crop="centre")
    return bytes(thumb.jpegsave_buffer(Q=QUALITY))


def runner(method: str) -> Callable[[bytes], bytes]:
    """The function measured for ``method``."""
    if method == "project":
        return lambda data: _project(data, use_vips=True)
    if method == "project-pillow":
        return lambda data: _project(data, use_vips=False)
    if method == "naive":
        return _naive
    if method == "pyvips":
        return _pyvips
    raise ValueError(method)


def pyvips_available() -> bool:
    """Whether pyvips and its libvips import here."""
    try:
        importlib.import_module("pyvips")
    except (ImportError, OSError):
        return False
    return True


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (``VmHWM``; unlike ``ru_maxrss`` it restarts at exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _peak_rss(method: str, path: str) -> dict[str, float]:
    """In a fresh process: RSS (MiB) before the call and at its peak, and the call's seconds."""
    run = runner(method)
    data = Path(path).read_bytes()
    _warm_imports(method)
    before = peak_rss_mib()
    started = time.perf_counter()
    run(data)
    seconds = time.perf_counter() - started
    peak = peak_rss_mib()
    return {"before_mib": before, "peak_mib": peak, "first_call_s": seconds}


def _warm_imports(method: str) -> None:
    """Import what ``method`` uses, so the peak reflects the call and not the imports."""
    from PIL import Image

    Image.init()
    if method.startswith("project"):
        importlib.import_module("dashboard.filestack_protocol.grammar")
        from dashboard.local_filestack.imaging import vips_shrink

        vips_shrink.available()
    if method == "pyvips":
        importlib.import_module("pyvips")


def measure(paths: dict[str, Path], rounds: int) -> dict[str, Any]:
    """Median times (interleaved) and peak RSS (fresh process) per input and method."""
    from dashboard.local_filestack.imaging import vips_shrink

    methods = [m for m in METHODS if m != "pyvips" or pyvips_available()]
    results: dict[str, Any] = {}
    for spec in INPUTS:
        data = paths[spec.name].read_bytes()
        active = [m for m in methods if m != "project-pillow" or vips_shrink.handles(data)]
        runs = {method: runner(method) for method in active}
        for run in runs.values():
            run(data)
        times: dict[str, list[float]] = {method: [] for method in active}
        for _ in range(rounds):
            for method, run in runs.items():
                started = time.perf_counter()
                run(data)
                times[method].append(time.perf_counter() - started)
        context = multiprocessing.get_context("spawn")
        memory: dict[str, dict[str, float]] = {}
        for method in active:
            with context.Pool(1) as pool:
                memory[method] = pool.apply_async(_peak_rss, (method, str(paths[spec.name]))).get(
                    RSS_TIMEOUT_S
                )
        results[spec.name] = {
            "bytes": len(data),
            "size": [spec.width, spec.height],
            "median_ms": {method: statistics.median(values) * 1000 for method, values in times.items()},
            "min_ms": {method: min(values) * 1000 for method, values in times.items()},
            "memory": memory,
        }
    return {"rounds": rounds, "methods": methods, "inputs": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds per method (median reported)")
    args = parser.parse_args()
    print(json.dumps(measure(generate(args.images), args.rounds)))


if __name__ == "__main__":
    main()
