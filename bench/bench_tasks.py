"""Time of the processing tasks added for Filestack fidelity, through ``imaging.transform`` (what
the CDN and the ``process`` action run), on a 512 × 512 portrait and a 12 MP photo, plus a
``urlscreenshot`` of a local page through the service's screenshot code. Median of ``--repeat``
runs, after one warm-up (face detection's model load is in the warm-up). Prints a Markdown table.

    .venv/bin/python bench/bench_tasks.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
import skimage.data
from PIL import Image

from dashboard.filestack_protocol.grammar import Task, parse_chain
from dashboard.local_filestack.imaging import Limits, animate, transform
from dashboard.local_filestack.ingest.netguard import FetchOptions, parse_allowed_hosts
from dashboard.local_filestack.ingest.screenshot import Screenshots
from dashboard.local_filestack.intelligence import face_boxes

CHAINS = (
    "watermark=file:W,size:50,position:[bottom,right]",
    "detect_faces=export:true",
    "pixelate_faces",
    "blur_faces",
    "partial_blur=objects:[[20,20,170,170]]",
    "vignette=amount:60",
    "polaroid",
    "torn_edges",
    "shadow",
    "oil_paint=amount:10",
    "ascii",
    "collage=files:[W,W],width:800,height:600",
    "smart_crop=mode:auto,width:200,height:200",
    "smart_crop=mode:face,width:200,height:200",
    "output=format:jpg,colorspace:cmyk",
)


def _jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def _photo_12mp() -> bytes:
    base = Image.fromarray(skimage.data.astronaut()).resize((4000, 3000), Image.Resampling.BICUBIC)
    grain = np.random.default_rng(1).normal(0, 6, (3000, 4000, 3))
    return _jpeg(
        Image.fromarray(np.clip(np.asarray(base, dtype=np.float64) + grain, 0, 255).astype(np.uint8))
    )


def _median_ms(run, repeat: int) -> float:  # type: ignore[no-untyped-def]
    run()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def _screenshot_ms(repeat: int) -> float:
    page = b"<!doctype html><html><body style='background:#dc1414'><h1>bench</h1></body></html>"

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    shots = Screenshots(
        FetchOptions(max_bytes=10_000_000, allowed_hosts=parse_allowed_hosts(f"127.0.0.1:{port}"))
    )
    task = Task("urlscreenshot", {"delay": 0})
    try:
        return _median_ms(lambda: asyncio.run(shots.take(f"http://127.0.0.1:{port}/", task)), repeat)
    finally:
        server.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    portrait = _jpeg(Image.fromarray(skimage.data.astronaut()))
    photo = _photo_12mp()
    mark = _jpeg(Image.fromarray(skimage.data.coffee()))
    limits = Limits()
    rows = ["| task | 512 × 512 portrait | 4000 × 3000 photo |", "| --- | ---: | ---: |"]
    for chain in CHAINS:
        tasks = parse_chain(chain.replace("W", "WATERMARKWATERMARK00"))
        assets = {"WATERMARKWATERMARK00": mark}
        cells = []
        for data in (portrait, photo):
            cells.append(
                _median_ms(
                    lambda d=data, t=tasks, a=assets: transform(d, t, limits, face_boxes, a), args.repeat
                )
            )
        rows.append(f"| `{chain}` | {cells[0]:.0f} ms | {cells[1]:.0f} ms |")
    frames = [portrait, _jpeg(Image.fromarray(skimage.data.coffee()).resize((512, 512)))]
    gif = _median_ms(lambda: animate(frames, Task("animate", {"delay": 200}), limits), args.repeat)
    rows.append(f"| `animate` (two 512 × 512 frames) | {gif:.0f} ms | |")
    rows.append(
        f"| `urlscreenshot` (1024 × 768 local page, Chromium launched per shot) | {_screenshot_ms(args.repeat):.0f} ms | |"
    )
    print("\n".join(rows))


if __name__ == "__main__":
    main()
