"""How job records map to and from SQL row values, for every SQL job store.

Pure functions: the SQLite and PostgreSQL stores differ in their SQL (placeholders,
upserts, aggregation) but read and write the same values in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    JobStatus,
    WebhookAttempt,
    WorkflowRecord,
)
from dashboard.local_filestack.workflows.model.triggers import JobTrigger
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState

#: The ``jobs`` columns a job record is read from, in order.
JOB_COLUMNS: tuple[str, ...] = (
    "uuid",
    "workflow",
    "source",
    "source_handle",
    "status",
    "status_text",
    "base_url",
    "created_at",
    "started_at",
    "updated_at",
    "finished_at",
    "runs",
    "replay_of",
    "cancelled_by",
    "triggered_by",
)
#: Columns the ``jobs`` table gained after its first version, with their types; an older table
#: gets them when the store opens it.
ADDED_JOB_COLUMNS: tuple[tuple[str, str], ...] = (
    ("replay_of", "TEXT"),
    ("cancelled_by", "TEXT"),
    ("lease_owner", "TEXT"),
    ("lease_until", "BIGINT"),
    ("triggered_by", "TEXT"),
)
#: Job states that are not terminal.
UNFINISHED: tuple[str, ...] = (JobStatus.PENDING.value, JobStatus.RUNNING.value)
#: The ``webhook_attempts`` columns, in the order of :func:`attempt_values`.
ATTEMPT_COLUMNS = "job_uuid, attempt, url, at, status_code, error, delivered, duration_ms"
#: The ``job_tasks`` columns, in the order of :func:`task_values`.
TASK_COLUMNS = "job_uuid, task_id, state, result, reason, started_at, finished_at"


def valid_uuid(value: str) -> str | None:
    """The canonical form of a UUID string, or ``None`` if it is not one."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        return None


def dump_datetime(value: datetime | None) -> str | None:
    """An ISO 8601 string, or ``None``."""
    return value.isoformat() if value is not None else None


def job_values(job: JobRecord) -> tuple[Any, ...]:
    """``workflow_id`` followed by the :data:`JOB_COLUMNS` values of a new job."""
    return (
        job.workflow_id,
        job.id,
        job.workflow.model_dump_json(),
        job.source.model_dump_json(),
        job.source_handle,
        job.status.value,
        job.status_text,
        job.base_url,
        job.created_at,
        job.started_at,
        job.updated_at,
        job.finished_at,
        job.runs,
        str(job.replay_of) if job.replay_of is not None else None,
        job.cancelled_by,
        job.triggered_by.model_dump_json() if job.triggered_by is not None else None,
    )


def task_values(job_id: str, task_id: str, outcome: TaskOutcome) -> tuple[Any, ...]:
    """One task outcome as :data:`TASK_COLUMNS` values."""
    return (
        job_id,
        task_id,
        TaskState(outcome.state).value,
        json.dumps(outcome.result) if outcome.result is not None else None,
        outcome.reason,
        dump_datetime(outcome.started_at),
        dump_datetime(outcome.finished_at),
    )


def outcome_from_row(
    state: str, result: str | None, reason: str | None, started: str | None, finished: str | None
) -> TaskOutcome:
    """A task outcome from its ``job_tasks`` values (without the two keys)."""
    return TaskOutcome(
        state=TaskState(state),
        result=json.loads(result) if result is not None else None,
        reason=reason,
        started_at=datetime.fromisoformat(started) if started else None,
        finished_at=datetime.fromisoformat(finished) if finished else None,
    )


def job_from_row(row: Sequence[Any], tasks: Mapping[str, TaskOutcome]) -> JobRecord:
    """A job record from its :data:`JOB_COLUMNS` values and its task outcomes."""
    values = dict(zip(JOB_COLUMNS, row[: len(JOB_COLUMNS)], strict=True))
    return JobRecord(
        uuid=UUID(values["uuid"]),
        workflow=WorkflowRecord.model_validate_json(values["workflow"]),
        source=JobSource.model_validate_json(values["source"]),
        source_handle=values["source_handle"],
        status=JobStatus(values["status"]),
        status_text=values["status_text"],
        base_url=values["base_url"],
        created_at=values["created_at"],
        started_at=values["started_at"],
        updated_at=values["updated_at"],
        finished_at=values["finished_at"],
        runs=values["runs"],
        replay_of=UUID(values["replay_of"]) if values["replay_of"] else None,
        cancelled_by=values["cancelled_by"],
        triggered_by=JobTrigger.model_validate_json(values["triggered_by"])
        if values["triggered_by"]
        else None,
        tasks=dict(tasks),
    )


def attempt_values(attempt: WebhookAttempt) -> tuple[Any, ...]:
    """A webhook attempt as :data:`ATTEMPT_COLUMNS` values."""
    return (
        str(attempt.job_uuid),
        attempt.attempt,
        attempt.url,
        attempt.at,
        attempt.status_code,
        attempt.error,
        attempt.delivered,
        attempt.duration_ms,
    )


def attempt_from_row(row: Sequence[Any]) -> WebhookAttempt:
    """A webhook attempt from its :data:`ATTEMPT_COLUMNS` values."""
    return WebhookAttempt(
        job_uuid=UUID(row[0]),
        attempt=row[1],
        url=row[2],
        at=row[3],
        status_code=row[4],
        error=row[5],
        delivered=bool(row[6]),
        duration_ms=row[7],
    )
