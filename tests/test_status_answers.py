"""``workflow_status``: a finished job's answer is computed once and served as kept; others are read fresh."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from local_service import API_KEY, image_bytes, uploaded_handle
from workflow_support import FAST, nap, nap_contract, nap_task, running_workflows

from dashboard.local_filestack.workflows.api import cdn as gateway
from dashboard.local_filestack.workflows.engine.events import JobEvent
from dashboard.local_filestack.workflows.model import jobs
from dashboard.local_filestack.workflows.model.jobs import now_ns
from dashboard.local_filestack.workflows.model.views import cdn_status
from dashboard.local_filestack.workflows.model.workflow import TaskState


def _status_url(job_id: str) -> str:
    return f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}"


async def test_a_finished_answer_is_kept_and_equal_to_a_fresh_one(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as run:
        handle = await uploaded_handle(run.client, image_bytes(800, 600))
        ended = asyncio.Queue()
        run.workflows.events.listen(lambda e: e.ended and ended.put_nowait(e))
        started = await run.client.get(f"/cdn/{API_KEY}/run_workflow=id:{_profile_id()}/{handle}")
        job_id = started.json()["jobid"]
        assert (await asyncio.wait_for(ended.get(), 60)) == JobEvent(job_id=job_id, ended=True)

        reads = []
        real_get = run.workflows.store.get_job

        async def counting_get(wanted: str):
            reads.append(wanted)
            return await real_get(wanted)

        run.workflows.store.get_job = counting_get  # type: ignore[method-assign]
        answers = [await run.client.get(_status_url(job_id)) for _ in range(5)]
        assert {a.status_code for a in answers} == {200} and len({a.content for a in answers}) == 1
        assert reads == [job_id]  # read once, then served as kept
        body = answers[0].json()
        assert body["status"] == "Finished" and answers[0].headers["cache-control"] == "no-store"
        assert answers[0].headers["content-type"] == "application/json"
        fresh = cdn_status(await real_get(job_id), run.workflows.settings.ttl_s)
        assert body == json.loads(json.dumps(fresh))


async def test_an_unfinished_job_is_read_fresh_each_time(tmp_path: Path) -> None:
    with nap_contract():
        async with running_workflows(tmp_path) as run:
            run.workflows.register_function("nap", nap)
            workflow = await run.workflows.create_workflow(
                {"name": "two naps", "tasks": [nap_task("a", 0.05), nap_task("b", 0.3, requires=("a",))]}
            )
            handle = await uploaded_handle(run.client, image_bytes(80, 60))
            moved = asyncio.Queue()
            run.workflows.events.listen(moved.put_nowait)
            started = await run.client.get(f"/cdn/{API_KEY}/run_workflow=id:{workflow.id}/{handle}")
            job_id = started.json()["jobid"]
            first = (await run.client.get(_status_url(job_id))).json()
            assert first["status"] == "Started"
            # Events come when a task starts and when it ends: wait for the one after which "a" ended.
            while True:
                await asyncio.wait_for(moved.get(), 30)
                job = await run.workflows.store.get_job(job_id)
                if job is not None and "a" in job.tasks and job.tasks["a"].state is not TaskState.RUNNING:
                    break
            second = (await run.client.get(_status_url(job_id))).json()
            assert second["tasks"]["a"]["finishedAt"] is not None  # read fresh, not a kept answer
            assert second["tasks"] != first["tasks"]
            while not (await asyncio.wait_for(moved.get(), 30)).ended:
                pass
            ended = (await run.client.get(_status_url(job_id))).json()
            assert ended["status"] == "Finished" and ended["tasks"] != second["tasks"]


async def test_a_kept_answer_goes_when_the_job_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_workflows(tmp_path, FAST.model_copy(update={"ttl_s": 3600.0})) as run:
        handle = await uploaded_handle(run.client, image_bytes(400, 300))
        started = await run.client.get(f"/cdn/{API_KEY}/run_workflow=id:{_profile_id()}/{handle}")
        job_id = started.json()["jobid"]
        await run.workflows.wait_for_job(job_id, timeout_s=60)
        assert (await run.client.get(_status_url(job_id))).status_code == 200  # now kept
        later = now_ns() + 3601 * 1_000_000_000
        monkeypatch.setattr(gateway, "now_ns", lambda: later)
        monkeypatch.setattr(jobs, "now_ns", lambda: later)
        assert (await run.client.get(_status_url(job_id))).status_code == 404


def _profile_id() -> str:
    from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID

    return PROFILE_PICTURE_ID
