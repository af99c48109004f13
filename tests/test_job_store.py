"""The JobStore contract, run against every implementation: SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from scale_support import sql_job_store

from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    JobStatus,
    SourceKind,
    WebhookAttempt,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState
from dashboard.local_filestack.workflows.stores.store import JobStore


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[JobStore]:
    async with sql_job_store(request.param, tmp_path) as opened:
        yield opened


def workflow(name: str = "w") -> WorkflowRecord:
    at = now_ns()
    return WorkflowRecord(
        id=uuid4(), name=name, tasks=[{"id": "a", "action": "delete"}], created_at=at, updated_at=at
    )


def job(wf: WorkflowRecord, *, created: int | None = None) -> JobRecord:
    at = created if created is not None else now_ns()
    return JobRecord(
        uuid=uuid4(),
        workflow=wf,
        source=JobSource(kind=SourceKind.HANDLE, value="A" * 20),
        source_handle="A" * 20,
        created_at=at,
        updated_at=at,
    )


async def test_it_is_a_job_store(store: JobStore) -> None:
    assert isinstance(store, JobStore)


async def test_workflows_are_saved_replaced_listed_and_deleted(store: JobStore) -> None:
    first, second = workflow("one"), workflow("two")
    await store.save_workflow(first)
    await store.save_workflow(second)
    renamed = first.model_copy(update={"name": "uno", "updated_at": first.updated_at + 1})
    await store.save_workflow(renamed)
    assert (await store.get_workflow(str(first.id))) == renamed
    assert [w.name for w in await store.list_workflows()] == ["uno", "two"]
    assert await store.delete_workflow(str(first.id)) is True
    assert await store.delete_workflow(str(first.id)) is False
    assert await store.get_workflow(str(first.id)) is None
    assert await store.get_workflow("not-a-uuid") is None
    assert await store.delete_workflow("not-a-uuid") is False


async def test_a_job_round_trips_with_its_tasks_in_order(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    assert await store.get_job(record.id) == record
    started = datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    for task_id in ("z", "a", "m"):
        await store.update_task(
            record.id, task_id, TaskOutcome(state=TaskState.RUNNING, started_at=started), now_ns()
        )
    done = TaskOutcome(
        state=TaskState.DONE, result={"data": {"n": 1, "s": "é"}}, started_at=started, finished_at=started
    )
    await store.update_task(record.id, "a", done, now_ns())
    loaded = await store.get_job(record.id)
    assert loaded is not None
    assert list(loaded.tasks) == ["z", "a", "m"]
    assert loaded.tasks["a"] == done
    assert await store.get_job("nope") is None
    assert await store.get_job(str(uuid4())) is None


async def test_running_then_finishing_happens_once(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    running = await store.mark_running(record.id, record.created_at + 5)
    assert (
        running.status is JobStatus.RUNNING
        and running.runs == 1
        and running.started_at == record.created_at + 5
    )
    again = await store.mark_running(record.id, record.created_at + 9)
    assert again.runs == 2 and again.started_at == record.created_at + 5
    assert await store.finish(record.id, JobStatus.DONE, "", record.created_at + 10) is True
    assert await store.finish(record.id, JobStatus.FAILED, "late", record.created_at + 11) is False
    finished = await store.get_job(record.id)
    assert finished is not None
    assert (finished.status, finished.status_text, finished.finished_at) == (
        JobStatus.DONE,
        "",
        record.created_at + 10,
    )
    after = await store.mark_running(record.id, record.created_at + 12)
    assert after.status is JobStatus.DONE and after.runs == 2
    with pytest.raises(JobNotFound):
        await store.mark_running(str(uuid4()), now_ns())


async def test_concurrent_finishes_end_a_job_exactly_once(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    await store.mark_running(record.id, now_ns())
    results = await asyncio.gather(
        *(
            store.finish(record.id, JobStatus.DONE if n % 2 else JobStatus.FAILED, str(n), now_ns())
            for n in range(8)
        )
    )
    assert sum(results) == 1


async def test_source_handle_and_discard(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    await store.set_source_handle(record.id, "B" * 20, now_ns())
    loaded = await store.get_job(record.id)
    assert loaded is not None and loaded.source_handle == "B" * 20
    await store.discard_job(record.id)
    assert await store.get_job(record.id) is None


async def test_recent_jobs_newest_first_and_by_workflow(store: JobStore) -> None:
    one, two = workflow("one"), workflow("two")
    base = now_ns()
    jobs = [job(one if n % 2 else two, created=base + n) for n in range(6)]
    for record in jobs:
        await store.create_job(record)
    assert [j.id for j in await store.list_recent(limit=3)] == [j.id for j in reversed(jobs)][:3]
    assert [j.id for j in await store.list_recent(str(one.id))] == [jobs[5].id, jobs[3].id, jobs[1].id]


async def test_claim_unfinished_resets_running_tasks_and_keeps_done_ones(store: JobStore) -> None:
    wf = workflow()
    pending, running, finished = (job(wf, created=now_ns() + n) for n in range(3))
    for record in (pending, running, finished):
        await store.create_job(record)
    await store.mark_running(running.id, now_ns())
    await store.update_task(running.id, "a", TaskOutcome(state=TaskState.DONE, result={"data": {}}), now_ns())
    await store.update_task(
        running.id, "b", TaskOutcome(state=TaskState.RUNNING, started_at=datetime.now(UTC)), now_ns()
    )
    await store.mark_running(finished.id, now_ns())
    await store.finish(finished.id, JobStatus.DONE, "", now_ns())
    assert await store.claim_unfinished(now_ns()) == [pending.id, running.id]
    reset = await store.get_job(running.id)
    assert reset is not None and reset.status is JobStatus.PENDING
    assert reset.tasks["a"].state == TaskState.DONE
    assert reset.tasks["b"].state == TaskState.PENDING and reset.tasks["b"].started_at is None


async def test_purge_removes_old_finished_jobs_and_reports_temporary_outputs(store: JobStore) -> None:
    wf = workflow()
    old, fresh = job(wf), job(wf)
    for record in (old, fresh):
        await store.create_job(record)
        await store.mark_running(record.id, now_ns())
    kept = await store.reserve_output(old.id, "keep", temporary=False)
    temp = await store.reserve_output(old.id, "temp", temporary=True)
    await store.add_webhook_attempt(
        WebhookAttempt(
            job_uuid=old.uuid, attempt=1, url="http://x", at=now_ns(), delivered=True, duration_ms=1.0
        )
    )
    await store.finish(old.id, JobStatus.DONE, "", 100)
    await store.finish(fresh.id, JobStatus.DONE, "", now_ns())
    result = await store.purge_finished(1000)
    assert result.jobs == 1 and result.temporary_handles == [temp.handle]
    assert kept.handle not in result.temporary_handles
    assert await store.get_job(old.id) is None and await store.webhook_attempts(old.id) == []
    assert await store.get_job(fresh.id) is not None
    assert (await store.purge_finished(1000)).jobs == 0


async def test_an_output_is_reserved_once_even_under_concurrency(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    slots = await asyncio.gather(
        *(store.reserve_output(record.id, "t", temporary=n % 2 == 0) for n in range(10))
    )
    assert len({slot.handle for slot in slots}) == 1
    assert len({slot.temporary for slot in slots}) == 1
    other = await store.reserve_output(record.id, "u", temporary=False)
    assert other.handle != slots[0].handle and len(other.handle) == 20


async def test_webhook_attempts_in_order(store: JobStore) -> None:
    record = job(workflow())
    await store.create_job(record)
    for number in (1, 2):
        await store.add_webhook_attempt(
            WebhookAttempt(
                job_uuid=record.uuid,
                attempt=number,
                url="http://hook",
                at=now_ns(),
                status_code=500 if number == 1 else 200,
                error="boom" if number == 1 else None,
                delivered=number == 2,
                duration_ms=2.5,
            )
        )
    attempts = await store.webhook_attempts(record.id)
    assert [(a.attempt, a.delivered, a.status_code, a.error) for a in attempts] == [
        (1, False, 500, "boom"),
        (2, True, 200, None),
    ]
    assert await store.webhook_attempts("nope") == []
