"""At-least-once delivery: the same job run twice -- at once, or after a run that died -- ends once.

Run in-process against SQLite and against PostgreSQL (the store every queue worker shares).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from local_service import image_bytes, uploaded_handle
from scale_support import postgres_schema
from workflow_support import PROFILE_ID, Running, running_workflows

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.files import HandleInUse, NewFile
from dashboard.local_filestack.workflows.model.jobs import JobRecord, JobStatus, now_ns
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState


@contextlib.asynccontextmanager
async def service(kind: str, data_dir: Path) -> AsyncIterator[Running]:
    """The service with its runners stopped, so the test runs jobs itself."""
    if kind == "sqlite":
        async with running_workflows(data_dir) as running:
            await running.workflows.engine.stop()
            yield running
        return
    with postgres_schema() as dsn:
        async with running_workflows(data_dir, deployment=DeploymentSettings(database_url=dsn)) as running:
            await running.workflows.engine.stop()
            yield running


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def count_endings(running: Running) -> list[str]:
    """Record every job end the engine announces (webhooks hang on it)."""
    ended: list[str] = []

    async def on_finished(job: JobRecord) -> None:
        ended.append(job.id)

    running.workflows.engine.on_finished = on_finished
    return ended


async def test_a_job_delivered_twice_at_once_stores_one_file_and_ends_once(kind: str, tmp_path: Path) -> None:
    async with service(kind, tmp_path) as running:
        ended = count_endings(running)
        handle = await uploaded_handle(running.client, image_bytes(1200, 900))
        job = await running.workflows.start_job(PROFILE_ID, handle)
        results = await asyncio.gather(*(running.workflows.engine.run_job(job.id) for _ in range(3)))
        final = await running.workflows.get_job(job.id)
        assert final is not None and final.status is JobStatus.DONE
        assert all(result is not None and result.status is JobStatus.DONE for result in results)
        outputs = {
            r.tasks["avatar"].result["data"]["handle"] for r in results if r and r.tasks["avatar"].result
        }
        assert outputs == {final.tasks["avatar"].result["data"]["handle"]}
        assert ended == [job.id]
        assert final.runs == 3


async def test_a_redelivered_job_after_a_dead_run_reuses_its_output(kind: str, tmp_path: Path) -> None:
    async with service(kind, tmp_path) as running:
        ended = count_endings(running)
        store = running.workflows.store
        handle = await uploaded_handle(running.client, image_bytes(900, 600))
        job = await running.workflows.start_job(PROFILE_ID, handle)
        # What a worker killed mid-task leaves: job running, task running, its output stored.
        await store.mark_running(job.id, now_ns())
        await store.update_task(job.id, "avatar", TaskOutcome(state=TaskState.RUNNING), now_ns())
        slot = await store.reserve_output(job.id, "avatar", temporary=False)
        written = NewFile(
            data=b"whatever the dead run wrote", filename="x.jpg", mimetype="image/jpeg", path="avatars/"
        )
        await asyncio.to_thread(running.service.storage.put, written, handle=slot.handle)
        redelivered = await running.workflows.engine.run_job(job.id)
        assert redelivered is not None and redelivered.status is JobStatus.DONE
        assert redelivered.tasks["avatar"].result["data"]["handle"] == slot.handle
        assert redelivered.runs == 2 and ended == [job.id]
        again = await running.workflows.engine.run_job(job.id)  # a late duplicate of the same task
        assert again is not None and again.finished_at == redelivered.finished_at and ended == [job.id]


async def test_a_file_written_twice_under_one_handle_is_stored_once(kind: str, tmp_path: Path) -> None:
    async with service(kind, tmp_path) as running:
        storage = running.service.storage
        first = await asyncio.to_thread(
            storage.put, NewFile(data=b"one", filename="a.txt", mimetype="text/plain")
        )
        with pytest.raises(HandleInUse):
            second = NewFile(data=b"two", filename="a.txt", mimetype="text/plain")
            await asyncio.to_thread(storage.put, second, handle=first.handle)
        assert await asyncio.to_thread(storage.read, first.handle) == b"one"
        deletes = await asyncio.gather(*(asyncio.to_thread(storage.delete, first.handle) for _ in range(4)))
        assert deletes.count(True) == 1
