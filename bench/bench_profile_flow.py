"""Upload → ``Finished`` for the shipped profile workflow on a 12 MP JPEG, over HTTP on loopback.

The service runs in its own process on 127.0.0.1 with its default settings
(process pool of ``min(cores, 4)`` workers). One run is what the dashboard
does: simple store of the photo, ``run_workflow`` of the profile workflow
(``rotate=deg:exif/no_metadata/resize=width:400,height:400,fit:crop,align:faces/store``),
then ``workflow_status`` polled every 10 ms until the job is no longer
``Started`` (the dashboard polls every 0.2 s, which adds up to that much).

* ``first`` -- the first run, as soon as ``/health`` answers (workers still starting);
* ``warm`` -- the following runs, after a settle time, as in a running app;
* ``face_share`` -- in this process, the profile chain with and without
  ``align:faces`` (interleaved, median): what the face detection costs.

Prints one JSON object.

    .venv/bin/python bench/bench_profile_flow.py --images DIR [--runs 7] [--settle 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from images import generate
from service import API_KEY, running_service, upload

from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_ID

PROFILE_CHAIN = "rotate=deg:exif/no_metadata/resize=width:400,height:400,fit:crop,align:faces"
POLL_S = 0.01
RUN_TIMEOUT_S = 60.0


def one_run(client: httpx.Client, image: bytes) -> dict[str, float]:
    """Seconds of each step of one upload → Finished."""
    started = time.perf_counter()
    handle = upload(client, image, "photo.jpg", "image/jpeg")
    uploaded = time.perf_counter()
    run = client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}")
    run.raise_for_status()
    job_id = run.json()["jobid"]
    accepted = time.perf_counter()
    deadline = accepted + RUN_TIMEOUT_S
    status: dict[str, Any] = {}
    while time.perf_counter() < deadline:
        status = client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}").json()
        if status["status"] != "Started":
            break
        time.sleep(POLL_S)
    finished = time.perf_counter()
    if status.get("status") != "Finished":
        raise RuntimeError(f"the profile job did not finish: {status}")
    return {
        "upload_s": uploaded - started,
        "run_s": accepted - uploaded,
        "job_s": finished - accepted,
        "total_s": finished - started,
    }


def face_share(image: bytes, rounds: int) -> dict[str, float]:
    """Median ms of the profile chain with and without ``align:faces``, in this process."""
    from dashboard.filestack_protocol.grammar import parse_chain
    from dashboard.local_filestack.imaging import Limits, transform
    from dashboard.local_filestack.intelligence import face_boxes

    with_faces = parse_chain(PROFILE_CHAIN)
    without = parse_chain(PROFILE_CHAIN.replace(",align:faces", ""))
    transform(image, with_faces, Limits(), face_boxes)
    transform(image, without, Limits(), face_boxes)
    times: dict[str, list[float]] = {"with_faces_ms": [], "without_ms": []}
    for _ in range(rounds):
        for name, tasks in (("with_faces_ms", with_faces), ("without_ms", without)):
            started = time.perf_counter()
            transform(image, tasks, Limits(), face_boxes)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: statistics.median(values) for name, values in times.items()}


def measure(image: bytes, runs: int, settle_s: float) -> dict[str, Any]:
    """The first run after start, then ``runs`` warm runs."""
    with (
        running_service() as service,
        httpx.Client(base_url=service.base_url, timeout=RUN_TIMEOUT_S) as client,
    ):
        first = one_run(client, image)
        time.sleep(settle_s)
        warm = [one_run(client, image) for _ in range(runs)]
    totals = sorted(run["total_s"] for run in warm)
    return {
        "input_bytes": len(image),
        "first": first,
        "warm_runs": warm,
        "warm_total_p50_s": statistics.median(totals),
        "warm_total_max_s": totals[-1],
        "warm_job_p50_s": statistics.median(run["job_s"] for run in warm),
        "warm_upload_p50_s": statistics.median(run["upload_s"] for run in warm),
        "face_share": face_share(image, runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--runs", type=int, default=7, help="warm runs (median reported)")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the first and warm runs")
    args = parser.parse_args()
    image = generate(args.images)["jpeg-12mp"].read_bytes()
    print(json.dumps(measure(image, args.runs, args.settle)))


if __name__ == "__main__":
    main()
