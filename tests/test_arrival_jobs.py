"""A file's arrival starts one job per workflow, decided by the job store, on SQLite and PostgreSQL.

Two stores on one database stand for two processes (two app workers of a cluster) handling
the same file at once, e.g. a retried upload answered by another worker: one job is
recorded, and both are told its id. The record keeps what triggered the job.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from scale_support import postgres_schema

from dashboard.local_filestack.storage.sql import SqliteDatabase
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    SourceKind,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.model.triggers import Arrival, FileFacts, trigger_record
from dashboard.local_filestack.workflows.stores.sql import SqlJobStore

HANDLE = "B" * 20


@pytest.fixture(params=["sqlite", "postgres"])
async def two_stores(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[tuple[SqlJobStore, SqlJobStore]]:
    if request.param == "sqlite":
        stores = (
            SqlJobStore(SqliteDatabase(tmp_path / "workflows.db")),
            SqlJobStore(SqliteDatabase(tmp_path / "workflows.db")),
        )
        yield stores
        for store in stores:
            await store.close()
        return
    from dashboard.local_filestack.storage.pg import PgDatabase

    with postgres_schema() as dsn:
        stores = (SqlJobStore(PgDatabase(dsn)), SqlJobStore(PgDatabase(dsn)))
        yield stores
        for store in stores:
            await store.close()


def _workflow() -> WorkflowRecord:
    at = now_ns()
    return WorkflowRecord(
        id=uuid4(),
        name="on upload",
        tasks=[{"id": "a", "action": "delete"}],
        triggers=[{"event": "upload", "constraints": []}],
        created_at=at,
        updated_at=at,
    )


def _job(workflow: WorkflowRecord, handle: str = HANDLE) -> JobRecord:
    at = now_ns()
    facts = FileFacts(
        handle=handle, mimetype="image/png", size=10, width=2, height=2, filename="a.png", path="a.png"
    )
    return JobRecord(
        uuid=uuid4(),
        workflow=workflow,
        source=JobSource(kind=SourceKind.HANDLE, value=handle),
        source_handle=handle,
        created_at=at,
        updated_at=at,
        triggered_by=trigger_record(Arrival.MULTIPART, facts, None),
    )


async def test_one_job_per_file_and_workflow_whoever_asks(
    two_stores: tuple[SqlJobStore, SqlJobStore],
) -> None:
    first, second = two_stores
    workflow = _workflow()
    candidates = [_job(workflow) for _ in range(12)]

    answers = await asyncio.gather(
        *((first if n % 2 else second).create_arrival_job(job, HANDLE) for n, job in enumerate(candidates))
    )

    created = [job_id for job_id, fresh in answers if fresh]
    assert len(created) == 1
    assert {job_id for job_id, _fresh in answers} == set(created)
    recorded = await second.get_job(created[0])
    assert recorded is not None and recorded.triggered_by is not None
    assert recorded.triggered_by.arrival is Arrival.MULTIPART and recorded.triggered_by.handle == HANDLE
    assert len(await first.list_recent(str(workflow.id), 50)) == 1


async def test_another_file_or_workflow_gets_its_own_job(two_stores: tuple[SqlJobStore, SqlJobStore]) -> None:
    first, second = two_stores
    workflow, other_workflow = _workflow(), _workflow()

    one = await first.create_arrival_job(_job(workflow), HANDLE)
    other_file = await second.create_arrival_job(_job(workflow, "C" * 20), "C" * 20)
    other_flow = await second.create_arrival_job(_job(other_workflow), HANDLE)

    assert one[1] and other_file[1] and other_flow[1]
    assert len({one[0], other_file[0], other_flow[0]}) == 3
