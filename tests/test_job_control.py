"""The jobs console's REST calls against the embedded service, in-process: listing with filters
and a cursor, per-task times and results so far, cancel and replay (each safe to repeat)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from local_service import image_bytes, uploaded_handle
from workflow_support import AUTH, FAST, REST, nap, nap_contract, nap_in_pool, nap_task, running_workflows


@pytest.fixture
def nap_action() -> Iterator[None]:
    with nap_contract():
        yield


async def _job(client: Any, uuid: str) -> dict[str, Any]:
    response = await client.get(f"{REST}/jobs/{uuid}", auth=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


async def _until(client: Any, uuid: str, check: Any, attempts: int = 2000) -> dict[str, Any]:
    """Read the job until ``check(job)`` holds (each read is an event, not a timer)."""
    for _ in range(attempts):
        job = await _job(client, uuid)
        if check(job):
            return job
        await asyncio.sleep(0.02)
    raise AssertionError(f"job {uuid} never reached the expected state: {job}")


def _finished(job: dict[str, Any]) -> bool:
    return job["status"]["type"] in ("done", "failed")


async def _start(client: Any, workflow_id: str, handle: str) -> dict[str, Any]:
    response = await client.post(f"{REST}/jobs", auth=AUTH, json={"workflow": workflow_id, "handle": handle})
    assert response.status_code == 201, response.text
    return response.json()


async def _workflow(client: Any, name: str, tasks: list[dict[str, Any]]) -> str:
    response = await client.post(f"{REST}/workflows", auth=AUTH, json={"name": name, "tasks": tasks})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def _list(client: Any, **params: Any) -> list[str]:
    response = await client.get(f"{REST}/jobs", auth=AUTH, params=params)
    assert response.status_code == 200, response.text
    return [job["uuid"] for job in response.json()]


async def test_jobs_are_listed_by_status_time_workflow_and_cursor(tmp_path: Path, nap_action: None) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(40, 30))
        quick = await _workflow(client, "quick", [nap_task("a", 0.01)])
        failing = await _workflow(client, "failing", [nap_task("a", 0.01, fail="no luck")])
        done = []
        for _ in range(5):
            job = await _start(client, quick, handle)
            await _until(client, job["uuid"], _finished)
            done.append(job["uuid"])
        failed = await _start(client, failing, handle)
        await _until(client, failed["uuid"], _finished)

        newest_first = list(reversed(done))
        assert await _list(client, workflow=quick) == newest_first
        assert await _list(client, status="failed") == [failed["uuid"]]
        assert await _list(client, status="done", workflow=failing) == []
        # The cursor: pages of two, each strictly older than the last job of the page before.
        pages, after = [], None
        while True:
            page = await _list(client, workflow=quick, limit=2, **({"after": after} if after else {}))
            if not page:
                break
            pages.append(page)
            after = page[-1]
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:]]
        # Times: createdAfter is inclusive, createdBefore exclusive (each job above was started
        # after the one before had run a 10 ms task, so no two share a millisecond).
        third = await _job(client, done[2])
        assert await _list(client, workflow=quick, createdAfter=third["createdAt"]) == newest_first[:3]
        future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        assert await _list(client, createdAfter=future) == []
        assert await _list(client, workflow=quick, createdBefore=future) == newest_first
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        assert await _list(client, createdBefore=past) == []

        for params, message in (
            ({"after": "00000000-0000-0000-0000-000000000000"}, "no job"),
            ({"createdAfter": "2026-01-02T03:04:05"}, "createdAfter"),
            ({"status": "finished"}, "status"),
            ({"limit": "0"}, "limit"),
            ({"sort": "oldest"}, "sort"),
        ):
            response = await client.get(f"{REST}/jobs", auth=AUTH, params=params)
            assert response.status_code == 400 and message in response.json()["error"], (
                params,
                response.text,
            )


async def test_a_running_job_shows_each_tasks_times_and_the_results_so_far(
    tmp_path: Path, nap_action: None
) -> None:
    gate = asyncio.Event()

    async def waits_for_the_gate(context: Any, params: Any) -> dict[str, Any]:
        if params.value == "wait":
            await gate.wait()
        return await nap(context, params)

    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", waits_for_the_gate)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(40, 30))
        flow = await _workflow(
            client, "two steps", [nap_task("first", 0.01), nap_task("second", 0.01, ("first",), value="wait")]
        )
        job = await _start(client, flow, handle)
        seen = await _until(client, job["uuid"], lambda j: j["tasks"]["second"]["state"] == "running")
        assert seen["status"]["type"] == "running"
        assert list(seen["results"]) == ["first"] and "started" in seen["results"]["first"]["data"]
        first, second = seen["tasks"]["first"], seen["tasks"]["second"]
        assert first["startedAt"] <= first["finishedAt"] <= second["startedAt"]
        assert second["finishedAt"] is None
        gate.set()
        final = await _until(client, job["uuid"], _finished)
        assert final["status"]["type"] == "done" and set(final["results"]) == {"first", "second"}


async def test_cancelling_stops_the_pool_worker_and_says_why_and_repeats_the_same_answer(
    tmp_path: Path, nap_action: None
) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap_in_pool)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(40, 30))
        marker = tmp_path / "worker.pid"
        flow = await _workflow(
            client, "slow", [nap_task("slow", 600, value=str(marker)), nap_task("after", 0.01, ("slow",))]
        )
        job = await _start(client, flow, handle)
        await _until(client, job["uuid"], lambda j: j["tasks"]["slow"]["state"] == "running")
        for _ in range(3000):  # the worker process has taken the work
            if marker.exists() and marker.read_text().isdigit():
                break
            await asyncio.sleep(0.02)
        worker = int(marker.read_text())

        first = await client.post(f"{REST}/jobs/{job['uuid']}/cancel", auth=AUTH, json={"by": "ada"})
        assert first.status_code == 200, first.text
        cancelled = first.json()
        assert cancelled["status"] == {"type": "failed", "text": "cancelled by ada"}
        assert cancelled["cancelledBy"] == "ada"
        assert cancelled["tasks"]["slow"]["state"] == "failed"
        assert cancelled["tasks"]["slow"]["reason"] == "stopped: cancelled by ada"
        assert cancelled["tasks"]["after"]["state"] == "skipped"
        # The worker process doing the work was ended, not left to finish it.
        for _ in range(3000):
            try:
                os.kill(worker, 0)
            except ProcessLookupError:
                break
            await asyncio.sleep(0.02)
        else:
            raise AssertionError(f"pool worker {worker} still runs the cancelled task")
        assert marker.read_text() != "finished"

        again = await client.post(f"{REST}/jobs/{job['uuid']}/cancel", auth=AUTH, json={"by": "bob"})
        assert again.status_code == 200 and again.json()["status"] == cancelled["status"]
        assert again.json()["cancelledBy"] == "ada"
        status = (await client.get(f"/cdn/{AUTH[0]}/workflow_status=job_id:{job['uuid']}")).json()
        assert status["status"] == "Failed" and status["error"] == "cancelled by ada"
        # The pool still works for the next job.
        quick = await _workflow(client, "quick", [nap_task("a", 0.01, value=str(tmp_path / "next.pid"))])
        done = await _until(client, (await _start(client, quick, handle))["uuid"], _finished)
        assert done["status"]["type"] == "done"
        # A job that ended on its own cannot be cancelled: 409, again and again.
        for _ in range(2):
            refused = await client.post(f"{REST}/jobs/{done['uuid']}/cancel", auth=AUTH)
            assert refused.status_code == 409 and "already ended (done)" in refused.json()["error"]
        assert (await _job(client, done["uuid"]))["status"]["type"] == "done"
        missing = await client.post(f"{REST}/jobs/00000000-0000-0000-0000-000000000000/cancel", auth=AUTH)
        assert missing.status_code == 404
        unsigned = await client.post(f"{REST}/jobs/{done['uuid']}/cancel")
        assert unsigned.status_code == 401


async def test_cancelling_a_pending_job_ends_it_before_it_runs(tmp_path: Path, nap_action: None) -> None:
    gate = asyncio.Event()

    async def blocked(context: Any, params: Any) -> dict[str, Any]:
        await gate.wait()
        return await nap(context, params)

    async with running_workflows(tmp_path, FAST.model_copy(update={"runners": 1})) as running:
        running.workflows.register_function("nap", blocked)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(40, 30))
        flow = await _workflow(client, "blocked", [nap_task("a", 0.01)])
        busy = await _start(client, flow, handle)  # takes the only runner
        waiting = await _start(client, flow, handle)
        await _until(client, busy["uuid"], lambda j: j["status"]["type"] == "running")
        assert (await _job(client, waiting["uuid"]))["status"]["type"] == "pending"
        cancelled = (await client.post(f"{REST}/jobs/{waiting['uuid']}/cancel", auth=AUTH)).json()
        assert cancelled["status"] == {"type": "failed", "text": "cancelled by an API request"}
        assert cancelled["tasks"]["a"]["state"] == "skipped"
        gate.set()
        await _until(client, busy["uuid"], _finished)
        after = await _job(client, waiting["uuid"])
        assert after["status"] == cancelled["status"] and after["tasks"]["a"]["state"] == "skipped"


async def test_replaying_runs_the_same_workflow_on_the_same_source_as_a_new_job_each_time(
    tmp_path: Path, nap_action: None
) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(40, 30))
        flow = await _workflow(client, "once more", [nap_task("a", 0.01, value="first version")])
        original = await _until(client, (await _start(client, flow, handle))["uuid"], _finished)
        # The workflow changes afterwards: a replay runs what the original ran.
        await client.put(
            f"{REST}/workflows/{flow}",
            auth=AUTH,
            json={"name": "once more", "tasks": [nap_task("a", 0.01, value="second version")]},
        )
        replays = []
        for _ in range(2):
            response = await client.post(f"{REST}/jobs/{original['uuid']}/replay", auth=AUTH)
            assert response.status_code == 201, response.text
            replays.append(response.json())
        assert replays[0]["uuid"] != replays[1]["uuid"]
        for replay in replays:
            assert replay["replayOf"] == original["uuid"] and replay["handle"] == handle
            finished = await _until(client, replay["uuid"], _finished)
            assert finished["results"]["a"]["data"]["value"] == "first version"
            assert finished["workflow"]["id"] == flow
        assert (await _job(client, original["uuid"]))["replays"] == [r["uuid"] for r in replays]
        assert (
            await client.post(f"{REST}/jobs/00000000-0000-0000-0000-000000000000/replay", auth=AUTH)
        ).status_code == 404
