"""The workflow engine as a user of the service notices it: scheduling, failures, recovery, expiry."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from local_service import CannedResponse, LoopbackServer, decoded_size, image_bytes, uploaded_handle
from pydantic import BaseModel
from workflow_support import (
    COVER_ID,
    DELETE_NSFW_ID,
    FAST,
    PROFILE_ID,
    nap,
    nap_contract,
    nap_task,
    running_workflows,
    stored_keys,
)

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.files import NewFile
from dashboard.local_filestack.workflows.engine.actions import ActionContext, ActionError
from dashboard.local_filestack.workflows.engine.actions.process import ProcessAction
from dashboard.local_filestack.workflows.model.jobs import JobRecord, JobSource, JobStatus, now_ns
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState
from dashboard.local_filestack.workflows.stores.sql import open_job_store


@pytest.fixture
def nap_action() -> Iterator[None]:
    """The stand-in ``nap`` action's contract, registered for one test."""
    with nap_contract():
        yield


def _window(job: JobRecord, task_id: str) -> tuple[datetime, datetime]:
    outcome = job.tasks[task_id]
    assert outcome.started_at is not None and outcome.finished_at is not None, outcome
    return outcome.started_at, outcome.finished_at


async def _run(running: Any, definition: dict[str, Any], handle: str) -> JobRecord:
    workflow = await running.workflows.create_workflow(definition)
    job = await running.workflows.start_job(str(workflow.id), handle)
    return await running.workflows.wait_for_job(job.id, timeout_s=20)


async def test_diamond_runs_independent_tasks_at_the_same_time(tmp_path: Path, nap_action: None) -> None:
    both_running = asyncio.Barrier(2)

    async def nap_or_meet(context: ActionContext, params: BaseModel) -> dict[str, Any]:
        if getattr(params, "value", None) == "meet":
            # b and c each wait here for the other: run one after the other, they never meet.
            try:
                async with asyncio.timeout(10):
                    await both_running.wait()
            except TimeoutError:
                raise ActionError("the other branch never ran at the same time") from None
        return await nap(context, params)

    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap_or_meet)
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(
            running,
            {
                "name": "diamond",
                "tasks": [
                    nap_task("a", 0.05),
                    nap_task("b", 0.05, requires=("a",), value="meet"),
                    nap_task("c", 0.05, requires=("a",), value="meet"),
                    nap_task("d", 0.05, requires=("b", "c")),
                ],
            },
            handle,
        )
    assert job.status is JobStatus.DONE, job.status_text
    a, b, c, d = (_window(job, task) for task in "abcd")
    assert a[1] <= b[0] and a[1] <= c[0]
    assert b[0] < c[1] and c[0] < b[1], "b and c did not overlap"
    assert d[0] >= max(b[1], c[1])


async def test_chain_runs_in_order_and_records_every_result(tmp_path: Path, nap_action: None) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap)
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(
            running,
            {
                "name": "chain",
                "tasks": [
                    nap_task("first", 0.05, value=1),
                    nap_task("second", 0.05, requires=("first",), value=2),
                    nap_task("third", 0.05, requires=("second",), value=3),
                ],
            },
            handle,
        )
    assert job.status is JobStatus.DONE
    first, second, third = (_window(job, task) for task in ("first", "second", "third"))
    assert first[1] <= second[0] and second[1] <= third[0]
    assert [job.tasks[t].result["data"]["value"] for t in ("first", "second", "third")] == [1, 2, 3]


async def test_a_false_condition_skips_the_rest_of_the_chain(tmp_path: Path, nap_action: None) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap)
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(
            running,
            {
                "name": "gated",
                "tasks": [
                    nap_task("score", 0.01, value=3),
                    {
                        "id": "act",
                        "action": "nap",
                        "params": {"seconds": 0.01},
                        "requires": [
                            {"task": "score", "condition": {"type": "gt", "value": 50, "path": ["value"]}}
                        ],
                    },
                    nap_task("after", 0.01, requires=("act",)),
                ],
            },
            handle,
        )
        status = await running.workflows.job_status(job.id)
    assert job.status is JobStatus.DONE
    assert job.tasks["score"].state == TaskState.DONE
    assert job.tasks["act"].state == TaskState.SKIPPED
    assert "condition gt 50 on score.value was false (value 3)" in (job.tasks["act"].reason or "")
    assert job.tasks["after"].state == TaskState.SKIPPED
    assert job.tasks["after"].reason == "required task 'act' was skipped"
    assert status is not None and status["status"] == "Finished"
    assert status["results"]["act"] == {"skipped": True, "reason": job.tasks["act"].reason}


async def test_a_failing_task_fails_the_job_and_nothing_downstream_runs(
    tmp_path: Path, nap_action: None
) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("nap", nap)
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(
            running,
            {
                "name": "broken",
                "tasks": [
                    nap_task("ok", 0.01),
                    nap_task("boom", 0.01, requires=("ok",), fail="the scanner is on fire"),
                    nap_task("never", 0.01, requires=("boom",)),
                ],
            },
            handle,
        )
        status = await running.workflows.job_status(job.id)
    assert job.status is JobStatus.FAILED
    assert job.status_text == "task 'boom' failed: the scanner is on fire"
    assert "never" not in job.tasks
    assert status is not None
    assert status["status"] == "Failed" and status["error"] == job.status_text
    assert status["results"]["boom"] == {"error": "the scanner is on fire"}
    assert status["tasks"]["never"] == {
        "state": "pending",
        "reason": None,
        "startedAt": None,
        "finishedAt": None,
    }


async def test_a_task_over_the_timeout_fails(tmp_path: Path, nap_action: None) -> None:
    settings = FAST.model_copy(update={"task_timeout_s": 0.3})
    async with running_workflows(tmp_path, settings) as running:
        running.workflows.register_function("nap", nap)
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(running, {"name": "slow", "tasks": [nap_task("sleepy", 5.0)]}, handle)
    assert job.status is JobStatus.FAILED
    assert job.status_text == "task 'sleepy' failed: timed out after 0.3 s"


async def test_an_action_without_implementation_fails_its_task(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.actions.unregister("ocr")
        handle = await uploaded_handle(running.client, image_bytes(40, 30))
        job = await _run(running, {"name": "read it", "tasks": [{"action": "ocr"}]}, handle)
    assert job.status is JobStatus.FAILED
    assert job.status_text == "task 'ocr' failed: action 'ocr' is not available in this service"


@pytest.mark.parametrize(("nsfw", "deleted"), [(3, False), (97, True)])
async def test_delete_nsfw_with_a_stand_in_sfw_action(tmp_path: Path, nsfw: int, deleted: bool) -> None:
    async def sfw(context: ActionContext, params: BaseModel) -> dict[str, Any]:
        return {"sfw": nsfw <= 50, "nsfw": nsfw}

    async with running_workflows(tmp_path) as running:
        running.workflows.register_function("sfw", sfw, replace=True)
        handle = await uploaded_handle(running.client, image_bytes(64, 48))
        job = await running.workflows.start_job(DELETE_NSFW_ID, handle)
        job = await running.workflows.wait_for_job(job.id)
        served = await running.client.get(f"/cdn/{handle}")
    assert job.status is JobStatus.DONE
    assert job.tasks["sfw"].result == {"data": {"sfw": nsfw <= 50, "nsfw": nsfw}}
    if deleted:
        assert job.tasks["delete"].result == {"data": {"deleted": True, "handle": handle}}
        assert served.status_code == 404
    else:
        assert job.tasks["delete"].state == TaskState.SKIPPED
        assert "condition gt 50 on sfw.nsfw was false (value 3)" in (job.tasks["delete"].reason or "")
        assert served.status_code == 200


async def test_deleting_an_already_deleted_file_is_not_an_error(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        handle = await uploaded_handle(running.client, image_bytes(20, 20))
        workflow = await running.workflows.create_workflow({"name": "rm", "tasks": [{"action": "delete"}]})
        first = await running.workflows.start_job(str(workflow.id), handle)
        first = await running.workflows.wait_for_job(first.id)
        # A re-delivered job on the same source (the file is gone by now).
        replay = await running.workflows.engine.submit(first.workflow, first.source)
        replay = await running.workflows.wait_for_job(replay.id)
    assert first.tasks["delete"].result == {"data": {"deleted": True, "handle": handle}}
    assert replay.status is JobStatus.DONE
    assert replay.tasks["delete"].result == {"data": {"deleted": False, "handle": handle}}


async def test_process_takes_a_list_of_steps_and_reports_bad_chains(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        handle = await uploaded_handle(running.client, image_bytes(300, 200), filename="cat.jpg")
        steps = [
            {"name": "resize", "params": {"width": 150}},
            {"name": "output", "params": {"format": "png"}},
            {"name": "store", "params": {"p": "thumbs/"}},
        ]
        good = await _run(
            running,
            {"name": "steps", "tasks": [{"id": "t", "action": "process", "params": {"tasks": steps}}]},
            handle,
        )
        bad = await _run(
            running,
            {
                "name": "bad",
                "tasks": [{"id": "t", "action": "process", "params": {"tasks": "sparkle=level:9"}}],
            },
            handle,
        )
    assert good.status is JobStatus.DONE, good.status_text
    data = good.tasks["t"].result["data"]
    assert (data["width"], data["height"], data["mimetype"]) == (150, 100, "image/png")
    assert data["filename"] == "cat.png" and data["key"] == f"thumbs/{data['handle']}_cat.png"
    assert bad.status is JobStatus.FAILED
    assert bad.status_text == "task 't' failed: invalid process chain: unknown task 'sparkle'"


class _StopAfterStoring(ProcessAction):
    """The real process action, then a hang: an engine killed after storing, before recording."""

    def __init__(self, stored: asyncio.Event) -> None:
        self.stored = stored

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        await super().run(context, params)
        self.stored.set()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


async def test_a_job_interrupted_mid_task_is_run_again_after_restart_with_one_output(tmp_path: Path) -> None:
    stored = asyncio.Event()
    async with running_workflows(tmp_path) as first:
        first.workflows.register_action(_StopAfterStoring(stored), replace=True)
        handle = await uploaded_handle(first.client, image_bytes(900, 600))
        job = await first.workflows.start_job(PROFILE_ID, handle)
        await asyncio.wait_for(stored.wait(), 20)
        interrupted = await first.workflows.get_job(job.id)
    assert interrupted is not None and interrupted.status is JobStatus.RUNNING
    assert interrupted.tasks["avatar"].state == TaskState.RUNNING
    assert len(stored_keys(tmp_path, "avatars/")) == 1

    async with running_workflows(tmp_path) as second:
        finished = await second.workflows.wait_for_job(job.id)
        avatar = finished.tasks["avatar"].result["data"]
        served = await second.client.get(f"/cdn/{avatar['handle']}")
    assert finished.status is JobStatus.DONE and finished.runs == 2
    assert stored_keys(tmp_path, "avatars/") == [avatar["key"]]
    assert served.status_code == 200 and decoded_size(served.content) == (400, 400)


async def test_a_job_left_running_by_a_killed_engine_is_finished_after_restart(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as first:
        handle = await uploaded_handle(first.client, image_bytes(800, 600))
        workflow = await first.workflows.get_workflow(PROFILE_ID)
    # What a killed engine leaves behind: a running job whose running task already
    # reserved its output handle and wrote the file, but recorded nothing more.
    store = open_job_store(tmp_path, DeploymentSettings(), threads=2)
    job_id = str(uuid4())
    created = now_ns()
    await store.create_job(
        JobRecord(
            uuid=job_id,
            workflow=workflow,
            source=JobSource.classify(handle),
            source_handle=handle,
            status=JobStatus.RUNNING,
            created_at=created,
            started_at=created,
            updated_at=created,
            runs=1,
            tasks={"avatar": TaskOutcome(state=TaskState.RUNNING, started_at=datetime.now())},
        )
    )
    slot = await store.reserve_output(job_id, "avatar", temporary=False)
    await store.close()
    storage = open_storage(tmp_path, DeploymentSettings())
    written = NewFile(
        data=image_bytes(400, 400),
        filename="photo.jpg",
        mimetype="image/jpeg",
        path="avatars/",
        width=400,
        height=400,
    )
    storage.put(written, handle=slot.handle)
    storage.close()
    async with running_workflows(tmp_path) as second:
        finished = await second.workflows.wait_for_job(job_id)
    assert finished.status is JobStatus.DONE
    assert finished.tasks["avatar"].result["data"]["handle"] == slot.handle
    assert len(stored_keys(tmp_path, "avatars/")) == 1


async def test_finished_jobs_expire_after_their_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = FAST.model_copy(update={"ttl_s": 60})
    async with running_workflows(tmp_path, settings) as running:
        handle = await uploaded_handle(running.client, image_bytes(300, 200))
        workflow = await running.workflows.create_workflow(
            {
                "name": "thumb",
                "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=width:50"}}],
            }
        )
        job = await running.workflows.start_job(str(workflow.id), handle)
        job = await running.workflows.wait_for_job(job.id)
        temporary = job.tasks["thumb"].result["data"]
        assert (await running.client.get(f"/cdn/{temporary['handle']}")).status_code == 200
        assert (await running.client.get(f"/cdn/workflow_status=job_id:{job.id}")).status_code == 200
        real_time_ns = time.time_ns
        monkeypatch.setattr(time, "time_ns", lambda: real_time_ns() + 61 * 1_000_000_000)  # a minute later
        expired = await running.client.get(f"/cdn/workflow_status=job_id:{job.id}")
        assert (expired.status_code, expired.json()) == (404, {"error": "job not found"})
        purged = await running.workflows.purge_expired()
        assert purged.jobs == 1 and purged.temporary_handles == [temporary["handle"]]
        assert (await running.client.get(f"/cdn/{temporary['handle']}")).status_code == 404
        assert (await running.client.get(f"/cdn/{handle}")).status_code == 200
        assert await running.workflows.store.get_job(job.id) is None


async def test_url_sources_are_fetched_once_and_aliases_fail(tmp_path: Path) -> None:
    jpeg = image_bytes(600, 300)
    async with (
        LoopbackServer({"/photos/beach.jpg": CannedResponse(jpeg)}) as server,
        running_workflows(tmp_path, allow_private_fetch=True) as running,
    ):
        from_url = await running.workflows.start_job(COVER_ID, server.url("/photos/beach.jpg"))
        from_url = await running.workflows.wait_for_job(from_url.id)
        alias = await running.workflows.start_job(COVER_ID, "src://photos/beach.jpg")
        alias = await running.workflows.wait_for_job(alias.id)
    assert from_url.status is JobStatus.DONE, from_url.status_text
    assert server.requests == ["/photos/beach.jpg"]
    cover = from_url.tasks["cover"].result["data"]
    assert (cover["width"], cover["height"], cover["filename"]) == (1500, 500, "beach.jpg")
    assert alias.status is JobStatus.FAILED and alias.status_text == "storage aliases are not configured"


async def test_status_reads_do_not_wait_behind_image_work(tmp_path: Path) -> None:
    settings = WorkflowSettings(process_workers=1, runners=4)
    async with running_workflows(tmp_path, settings) as running:
        handle = await uploaded_handle(running.client, image_bytes(4000, 3000))
        jobs = [await running.workflows.start_job(PROFILE_ID, handle) for _ in range(3)]
        reads: list[tuple[float, float]] = []  # wall-clock start and end of each status read
        async with asyncio.timeout(180):
            while not all(
                job.status.finished for job in [await running.workflows.get_job(j.id) for j in jobs]
            ):
                started = time.time()
                response = await running.client.get(f"/cdn/workflow_status=job_id:{jobs[-1].id}")
                reads.append((started, time.time()))
                assert response.status_code == 200
                await asyncio.sleep(0)
        finished = [await running.workflows.wait_for_job(j.id) for j in jobs]
    # Status reads kept being answered while the image work ran, whatever the speed of the
    # machine: in the longest task (it waits for the other two on the one worker process), no
    # stretch without an answer comes near half its length. A read waiting behind the image
    # work would leave a gap as long as one image's processing.
    for job in finished:
        assert job.status is JobStatus.DONE, job.status_text
    windows = [tuple(moment.timestamp() for moment in _window(job, "avatar")) for job in finished]
    start, end = max(windows, key=lambda window: window[1] - window[0])
    edges = [start, *sorted(done for _began, done in reads if start < done < end), end]
    widest_gap = max(later - earlier for earlier, later in itertools.pairwise(edges))
    assert widest_gap < (end - start) / 2, (
        f"no status read was answered for {widest_gap:.2f} s of a {end - start:.2f} s image task"
    )
