"""``workflow_status`` on one core: the service pinned to one core, the load generator to the other.

The service runs as its own process (``python -m dashboard.local_filestack``, as a user
starts it) pinned to core 0; :mod:`loadgen` (raw keep-alive sockets, cheaper per request
than the server) runs pinned to core 1 with 16 connections. It reads the status of a
finished profile job (the answer a page reads last, and every later reload reads) and of a
job that does not exist (the 404 path), and checks the answers.

    .venv/bin/python bench/bench_status.py --images DIR [--window 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from images import generate
from loadgen import hammer, pin
from service import API_KEY, running_service, upload

from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_ID

CONNECTIONS = 16
SERVER_CORE = 0
CLIENT_CORE = 1


def _finished_job(base_url: str, image: bytes) -> str:
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        handle = upload(client, image, "photo.jpg", "image/jpeg")
        job_id = client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}").json()["jobid"]
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status = client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}").json()
            if status["status"] == "Finished":
                return job_id
            if status["status"] != "Started":
                raise RuntimeError(f"the profile job ended {status['status']}: {status}")
            time.sleep(0.05)
    raise TimeoutError("the profile job did not finish in 120 s")


def measure(image: bytes, window_s: float) -> dict[str, Any]:
    with running_service() as service:
        pinned = pin(service.process.pid, {SERVER_CORE}) and pin(os.getpid(), {CLIENT_CORE})
        job_id = _finished_job(service.base_url, image)
        url = urlsplit(service.base_url)
        host, port = url.hostname or "127.0.0.1", url.port or 80

        def finished_ok(status: int, body: bytes) -> bool:
            answer = json.loads(body)
            return status == 200 and answer["jobid"] == job_id and answer["status"] == "Finished"

        def missing_ok(status: int, body: bytes) -> bool:
            return status == 404

        path = f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}"
        asyncio.run(hammer(host, port, path, connections=CONNECTIONS, window_s=0.5, check=finished_ok))
        finished = asyncio.run(
            hammer(host, port, path, connections=CONNECTIONS, window_s=window_s, check=finished_ok)
        )
        missing_path = f"/cdn/{API_KEY}/workflow_status=job_id:00000000-0000-4000-8000-000000000000"
        missing = asyncio.run(
            hammer(host, port, missing_path, connections=CONNECTIONS, window_s=window_s / 2, check=missing_ok)
        )
    return {
        "pinned": pinned,
        "connections": CONNECTIONS,
        "finished": finished.summary(),
        "missing": missing.summary(),
        "answer_bytes": len(finished.sample),
        "server_peak_rss_mib": service.peak_rss_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--window", type=float, default=4.0, help="seconds of the measurement")
    args = parser.parse_args()
    image = generate(args.images)["jpeg-12mp"].read_bytes()
    print(json.dumps(measure(image, args.window)))


if __name__ == "__main__":
    main()
