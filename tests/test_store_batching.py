"""The job store's grouped writes: many jobs' writes share a transaction, each keeps its own outcome."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from uuid import uuid4

import pytest

from dashboard.local_filestack.storage.sql import SqliteDatabase
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    JobStatus,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState
from dashboard.local_filestack.workflows.stores.batching import WriteBatcher
from dashboard.local_filestack.workflows.stores.sql import SqlJobStore


def _job(workflow: WorkflowRecord) -> JobRecord:
    at = now_ns()
    return JobRecord(
        uuid=uuid4(),
        workflow=workflow,
        source=JobSource.classify("A" * 20),
        source_handle="A" * 20,
        created_at=at,
        updated_at=at,
    )


@pytest.fixture()
async def store(tmp_path: Path):
    opened = SqlJobStore(SqliteDatabase(tmp_path / "workflows.db"))
    yield opened
    await opened.close()


def _workflow() -> WorkflowRecord:
    at = now_ns()
    return WorkflowRecord.model_validate(
        {
            "id": str(uuid4()),
            "name": "one",
            "tasks": [{"id": "keep", "action": "store"}],
            "created_at": at,
            "updated_at": at,
        }
    )


async def test_concurrent_jobs_commit_together_and_each_reads_its_own(store: SqlJobStore) -> None:
    assert store._batcher is not None  # SQLite batches by default
    workflow = _workflow()
    jobs = [_job(workflow) for _ in range(40)]
    await asyncio.gather(*(store.create_job(job) for job in jobs))
    running = await asyncio.gather(*(store.mark_running(job.id, now_ns()) for job in jobs))
    assert [job.id for job in running] == [job.id for job in jobs]
    assert all(job.status is JobStatus.RUNNING for job in running)
    done = TaskOutcome(state=TaskState.DONE, result={"data": {}})
    ends = await asyncio.gather(
        *(store.end_job(job.id, JobStatus.DONE, "", now_ns(), {"keep": done}) for job in jobs)
    )
    assert all(ended and job is not None and job.status is JobStatus.DONE for ended, job in ends)
    assert all(job.tasks["keep"].state == TaskState.DONE for _ended, job in ends if job is not None)
    batcher = store._batcher
    assert batcher.writes == 120 and batcher.batches < batcher.writes  # grouped, not one by one


async def test_a_job_that_ended_already_takes_no_late_task_outcome(store: SqlJobStore) -> None:
    job = _job(_workflow())
    await store.create_job(job)
    await store.mark_running(job.id, now_ns())
    assert await store.cancel(job.id, "cancelled by test", "test", now_ns(), ["keep"])
    done = TaskOutcome(state=TaskState.DONE, result={"data": {}})
    ended, after = await store.end_job(job.id, JobStatus.DONE, "", now_ns(), {"keep": done})
    assert not ended and after is not None and after.status is JobStatus.FAILED
    assert after.tasks["keep"].state == TaskState.SKIPPED  # the cancel's record stays


async def test_a_failing_write_fails_alone(tmp_path: Path) -> None:
    db = SqliteDatabase(tmp_path / "t.db")
    db.execute([("CREATE TABLE t (n INTEGER PRIMARY KEY)", ())])
    batcher = WriteBatcher(db)

    def insert(n: int):
        return lambda cursor: cursor.execute("INSERT INTO t (n) VALUES (?)", (n,)) and n

    try:
        results = await asyncio.gather(
            *(batcher.run(insert(n)) for n in (1, 2, 2, 3)), return_exceptions=True
        )
    finally:
        batcher.close()
    assert results[0] == 1 and results[1] == 2 and results[3] == 3
    assert isinstance(results[2], sqlite3.IntegrityError)
    assert sorted(row[0] for row in db.query("SELECT n FROM t")) == [1, 2, 3]
    db.close()
