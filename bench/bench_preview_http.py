"""The preview over HTTP on loopback: cold (computed) and warm (cache hit) latencies.

The service runs in its own process on 127.0.0.1. The preview is the URL the
dashboard shows right after an upload, ``resize=width:400,height:400,fit:crop``
on a 24 MP JPEG. Measured with one keep-alive ``httpx`` client, one request at
a time:

* ``cold`` -- the first request for a freshly uploaded copy (a cache miss: read,
  decode with shrink-on-load, resize, encode, write to the cache);
* ``warm`` -- the same URL again (a cache hit, full body);
* ``revalidate`` -- the same URL with ``If-None-Match`` (a 304, no body);
* ``burst`` -- 8 concurrent identical requests on a fresh copy: wall time, and
  whether every answer carries the same ETag (single flight).

Prints one JSON object.

    .venv/bin/python bench/bench_preview_http.py --images DIR [--cold 12] [--warm 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from images import generate
from service import running_service, upload

PREVIEW = "resize=width:400,height:400,fit:crop"
BURST = 8


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "n": len(ordered),
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    }


def _timed_get(
    client: httpx.Client, url: str, headers: dict[str, str] | None = None
) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    elapsed = time.perf_counter() - started
    return elapsed, response


async def _burst(base_url: str, url: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60.0) as client:
        started = time.perf_counter()
        answers = await asyncio.gather(*(client.get(url) for _ in range(BURST)))
        elapsed = time.perf_counter() - started
    etags = {answer.headers.get("etag") for answer in answers}
    return {
        "requests": BURST,
        "wall_ms": elapsed * 1000,
        "all_ok": all(answer.status_code == 200 for answer in answers),
        "one_etag": len(etags) == 1,
    }


def measure(image: bytes, cold: int, warm: int) -> dict[str, Any]:
    """Cold, warm and 304 latencies of the preview URL, and one concurrent burst."""
    with running_service() as service:
        with httpx.Client(base_url=service.base_url, timeout=60.0) as client:
            handles = [upload(client, image, "photo.jpg", "image/jpeg") for _ in range(cold + 2)]
            # The first request of the process pays one-off costs (thread start, imports).
            client.get(f"/cdn/{PREVIEW}/{handles.pop()}").raise_for_status()
            cold_times: list[float] = []
            for handle in handles[1:]:
                elapsed, response = _timed_get(client, f"/cdn/{PREVIEW}/{handle}")
                response.raise_for_status()
                cold_times.append(elapsed)
            url = f"/cdn/{PREVIEW}/{handles[1]}"
            first = client.get(url)
            etag = first.headers["etag"]
            cache_control = first.headers.get("cache-control", "")
            warm_times: list[float] = []
            for _ in range(warm):
                elapsed, response = _timed_get(client, url)
                assert response.status_code == 200 and response.headers["etag"] == etag
                warm_times.append(elapsed)
            revalidate_times: list[float] = []
            for _ in range(warm):
                elapsed, response = _timed_get(client, url, {"If-None-Match": etag})
                assert response.status_code == 304
                revalidate_times.append(elapsed)
            burst = asyncio.run(_burst(service.base_url, f"/cdn/{PREVIEW}/{handles[0]}"))
        peak = service.current_peak_rss_mib()
    return {
        "input_bytes": len(image),
        "output_bytes": len(first.content),
        "cache_control": cache_control,
        "cold": _percentiles(cold_times),
        "warm": _percentiles(warm_times),
        "revalidate": _percentiles(revalidate_times),
        "burst": burst,
        "server_peak_rss_mib": peak,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--cold", type=int, default=12, help="cold requests (each on a fresh copy)")
    parser.add_argument("--warm", type=int, default=500, help="warm requests (and as many 304s)")
    args = parser.parse_args()
    image = generate(args.images)["jpeg-24mp"].read_bytes()
    print(json.dumps(measure(image, args.cold, args.warm)))


if __name__ == "__main__":
    main()
