"""Workflow engine overhead: no-op jobs per second, and status reads while image jobs run.

Two measurements, printed as one JSON object:

* ``noop`` -- the engine in this process (no HTTP), default settings, on a
  workflow of one task whose action returns at once: jobs submitted by 8
  concurrent submitters keeping at most 64 unfinished, timed from the first
  submission to the last job's end. This is the cost of the engine itself
  (SQLite writes, scheduling). ``noop_apart`` splits it: submitting alone
  with the runners stopped, then the runners alone draining the queue.
* ``status`` -- the service in its own process on 127.0.0.1: ``workflow_status``
  requests per second from 8 concurrent clients for a fixed window, first idle,
  then while 4 profile-workflow jobs on a 24 MP JPEG are kept running (a new one
  is started whenever one finishes). Every status answer is checked.

    .venv/bin/python bench/bench_engine.py --images DIR [--jobs 1000] [--window 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from images import generate
from service import API_KEY, running_service, upload

from dashboard.local_filestack.app import build_service, create_app
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.storage.files import NewFile
from dashboard.local_filestack.storage.sql import SqliteDatabase
from dashboard.local_filestack.workflows.engine.actions import ActionContext
from dashboard.local_filestack.workflows.model import contracts
from dashboard.local_filestack.workflows.model.contracts import ActionContract
from dashboard.local_filestack.workflows.model.errors import QueueFull
from dashboard.local_filestack.workflows.model.jobs import JobRecord
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_ID
from dashboard.local_filestack.workflows.service import WorkflowService
from dashboard.local_filestack.workflows.stores.sql import DB_FILENAME, SqlJobStore

STATUS_CLIENTS = 8
IMAGE_JOBS = 4
SUBMITTERS = 8
IN_FLIGHT = 64
"""No-op jobs submitted but not yet finished, at most: a closed loop, so the measurement is the
engine's sustained rate and not the cost of refusing submissions to a full queue."""
RUN_TIMEOUT_S = 120.0


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


NOOP = ActionContract(
    name="bench_noop",
    description="Benchmark stand-in: returns at once.",
    params_model=_NoParams,
    output={"type": "object"},
)


async def _noop(_context: ActionContext, _params: BaseModel) -> dict[str, Any]:
    return {}


DRAIN_JOBS = 900
"""Jobs queued while the runners are stopped (below the default queue size of 1000)."""


async def _finished_counter(
    workflows: WorkflowService, expected: int, window: asyncio.Semaphore | None = None
) -> tuple[list[JobRecord], asyncio.Event]:
    """Count job ends through the engine's ``on_finished`` hook (still forwarding to webhooks).

    Each end releases ``window`` when given, so submitters keep a bounded number in flight.
    """
    finished: list[JobRecord] = []
    all_done = asyncio.Event()
    forward = workflows.engine.on_finished

    async def count(job: JobRecord) -> None:
        finished.append(job)
        if window is not None:
            window.release()
        if len(finished) >= expected:
            all_done.set()
        if forward is not None:
            await forward(job)

    workflows.engine.on_finished = count
    return finished, all_done


async def submit_then_drain(jobs: int) -> dict[str, Any]:
    """The two halves apart: submitting with the runners stopped, then the runners draining the queue."""
    contracts.register(NOOP, replace=True)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        config = ServiceSettings(data_dir=Path(tmp), api_key=API_KEY, app_secret="bench-secret")
        app = create_app(config)
        service = app.state.service
        workflows = service.workflows
        await service.startup()
        try:
            await workflows.engine.stop()
            workflows.register_function(NOOP.name, _noop)
            workflow = await workflows.create_workflow(
                {"name": "noop", "tasks": [{"id": "noop", "action": NOOP.name, "params": {}}]}
            )
            new = NewFile(data=b"x" * 64, filename="x.txt", mimetype="text/plain")
            handle = (await asyncio.to_thread(service.storage.put, new)).handle
            started = time.perf_counter()
            for _ in range(jobs):
                await workflows.start_job(workflow.id, handle)
            submitted = time.perf_counter() - started
            _finished, all_done = await _finished_counter(workflows, jobs)
            started = time.perf_counter()
            await workflows.engine.start()
            async with asyncio.timeout(RUN_TIMEOUT_S):
                await all_done.wait()
            drained = time.perf_counter() - started
        finally:
            await service.shutdown()
            contracts.ACTIONS.pop(NOOP.name, None)
    return {"jobs": jobs, "submit_per_s": jobs / submitted, "run_per_s": jobs / drained}


async def noop_jobs_per_second(jobs: int, *, batch_writes: bool = True) -> dict[str, Any]:
    """Run ``jobs`` no-op jobs through the engine; jobs per second, CPU per job and the share that
    ended done. ``batch_writes=False`` is the store writing each job's statements on their own (the
    anchor: how the store wrote before grouping)."""
    contracts.register(NOOP, replace=True)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        config = ServiceSettings(data_dir=Path(tmp), api_key=API_KEY, app_secret="bench-secret")
        store = SqlJobStore(
            SqliteDatabase(Path(tmp) / DB_FILENAME),
            threads=config.workflows.store_threads,
            batch_writes=batch_writes,
        )
        service = build_service(config, store=store)
        cpu_started = time.process_time()
        workflows = service.workflows
        await service.startup()
        try:
            workflows.register_function(NOOP.name, _noop)
            workflow = await workflows.create_workflow(
                {"name": "noop", "tasks": [{"id": "noop", "action": NOOP.name, "params": {}}]}
            )
            new = NewFile(data=b"x" * 64, filename="x.txt", mimetype="text/plain")
            handle = (await asyncio.to_thread(service.storage.put, new)).handle
            window = asyncio.Semaphore(IN_FLIGHT)
            finished, all_done = await _finished_counter(workflows, jobs, window)
            started = time.perf_counter()
            remaining = iter(range(jobs))

            async def submitter() -> None:
                for _ in remaining:
                    await window.acquire()
                    while True:
                        try:
                            await workflows.start_job(workflow.id, handle)
                            break
                        except QueueFull:
                            await asyncio.sleep(0.01)

            await asyncio.gather(*(submitter() for _ in range(SUBMITTERS)))
            async with asyncio.timeout(RUN_TIMEOUT_S):
                await all_done.wait()
            elapsed = time.perf_counter() - started
        finally:
            await service.shutdown()
            contracts.ACTIONS.pop(NOOP.name, None)
    cpu_ms = (time.process_time() - cpu_started) * 1000 / jobs
    done = sum(1 for job in finished if job.status.value == "done")
    return {
        "jobs": jobs,
        "seconds": elapsed,
        "jobs_per_s": jobs / elapsed,
        "done": done,
        "cpu_ms_per_job": cpu_ms,
    }


async def _status_load(
    client: httpx.AsyncClient, job_id: str, window_s: float
) -> tuple[int, list[float], int]:
    """Requests answered, their latencies and the number of wrong answers, over ``window_s``."""
    latencies: list[float] = []
    wrong = 0
    deadline = time.perf_counter() + window_s

    async def one_client() -> None:
        nonlocal wrong
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            response = await client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}")
            latencies.append(time.perf_counter() - started)
            if response.status_code != 200 or response.json().get("jobid") != job_id:
                wrong += 1

    await asyncio.gather(*(one_client() for _ in range(STATUS_CLIENTS)))
    return len(latencies), latencies, wrong


async def _keep_running(client: httpx.AsyncClient, handle: str, stop: asyncio.Event) -> dict[str, int]:
    """Keep :data:`IMAGE_JOBS` profile jobs in flight until ``stop``; count what ended."""
    counts = {"started": 0, "finished": 0, "failed": 0}

    async def one_slot() -> None:
        while not stop.is_set():
            run = await client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}")
            run.raise_for_status()
            job_id = run.json()["jobid"]
            counts["started"] += 1
            deadline = time.perf_counter() + RUN_TIMEOUT_S
            while time.perf_counter() < deadline:
                status = (await client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}")).json()
                if status["status"] != "Started":
                    counts["finished" if status["status"] == "Finished" else "failed"] += 1
                    break
                await asyncio.sleep(0.05)

    await asyncio.gather(*(one_slot() for _ in range(IMAGE_JOBS)))
    return counts


def _summary(count: int, latencies: list[float], wrong: int, window_s: float) -> dict[str, Any]:
    ordered = sorted(latencies)
    return {
        "requests": count,
        "rps": count / window_s,
        "p50_ms": statistics.median(ordered) * 1000 if ordered else None,
        "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else None,
        "wrong": wrong,
    }


async def status_under_load(image: bytes, window_s: float) -> dict[str, Any]:
    """``workflow_status`` throughput idle and with image jobs running, over HTTP on loopback."""
    with running_service() as service:
        limits = httpx.Limits(max_connections=STATUS_CLIENTS + IMAGE_JOBS + 2)
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30.0, limits=limits) as client:
            handle = await asyncio.to_thread(_upload_sync, service.base_url, image)
            warm = await client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}")
            job_id = warm.json()["jobid"]
            await _wait_finished(client, job_id)
            await _wait_finished(
                client,
                (await client.get(f"/cdn/{API_KEY}/run_workflow=id:{PROFILE_ID}/{handle}")).json()["jobid"],
            )
            idle = _summary(*(await _status_load(client, job_id, window_s)), window_s)
            stop = asyncio.Event()
            feeder = asyncio.create_task(_keep_running(client, handle, stop))
            await asyncio.sleep(1.0)
            loaded = _summary(*(await _status_load(client, job_id, window_s)), window_s)
            stop.set()
            jobs = await feeder
    return {"idle": idle, "loaded": loaded, "image_jobs": jobs, "server_peak_rss_mib": service.peak_rss_mib}


def _upload_sync(base_url: str, data: bytes) -> str:
    with httpx.Client(base_url=base_url, timeout=30.0) as client:
        return upload(client, data, "photo.jpg", "image/jpeg")


async def _wait_finished(client: httpx.AsyncClient, job_id: str) -> None:
    deadline = time.perf_counter() + RUN_TIMEOUT_S
    while time.perf_counter() < deadline:
        status = (await client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}")).json()
        if status["status"] != "Started":
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"job {job_id} did not finish in {RUN_TIMEOUT_S:g} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--jobs", type=int, default=1000, help="no-op jobs to run")
    parser.add_argument("--window", type=float, default=4.0, help="seconds of each status measurement")
    args = parser.parse_args()
    image = generate(args.images)["jpeg-24mp"].read_bytes()
    # Interleaved, so the machine's load hits both alike: grouped writes (the project), then each
    # job's writes on their own (the anchor), twice; the better of each pair is kept.
    runs = [
        (batched, asyncio.run(noop_jobs_per_second(args.jobs, batch_writes=batched)))
        for _ in range(2)
        for batched in (True, False)
    ]
    result = {
        "noop": max((r for batched, r in runs if batched), key=lambda r: r["jobs_per_s"]),
        "noop_unbatched": max((r for batched, r in runs if not batched), key=lambda r: r["jobs_per_s"]),
        "noop_apart": asyncio.run(submit_then_drain(min(args.jobs, DRAIN_JOBS))),
        "status": asyncio.run(status_under_load(image, args.window)),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
