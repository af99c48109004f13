"""The JSON shapes of workflows and jobs as the CDN, REST and webhook APIs answer them.

Key order matters to some clients and is kept exactly:

* CDN run: ``createdAt, jobid, sources, status, updatedAt, workflow``;
* CDN status: ``createdAt, jobid, results, sources, status, ttl, updatedAt,
  workflow``, then ``error`` (failed jobs) and ``tasks`` (per-task progress,
  an extension);
* REST job: ``handle, results, status{type,text}, createdAt, startedAt,
  updatedAt, uuid, workflow`` (the workflow resource), then the extensions
  ``tasks``, ``replayOf`` and ``cancelledBy`` (and ``replays`` for one job);
* webhook of a job started on the CDN or at upload: ``id, action, timestamp,
  text{jobid, workflow, createdAt, updatedAt, sources, results, status}``;
* webhook of a job started through the REST API: the beta API's documented body,
  ``handle, results, status{type,text}, createdAt, startedAt, updatedAt, uuid,
  workflow``.

A task's result is ``{"data": {...}}`` when done, ``{"skipped": true,
"reason": ...}`` when skipped and ``{"error": ...}`` when failed; tasks not yet
finished have no result. Each entry of ``tasks`` carries ``state``, ``reason``,
``startedAt`` and ``finishedAt`` (RFC 3339, nanoseconds, or ``null``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dashboard.local_filestack.workflows.model.dag import validate_workflow
from dashboard.local_filestack.workflows.model.jobs import (
    JobApi,
    JobRecord,
    JobStatus,
    WorkflowRecord,
    rfc3339_ms,
    rfc3339_ns,
)
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState, WorkflowValidationError

WEBHOOK_ACTION = "fs.workflow"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def workflow_resource(workflow: WorkflowRecord) -> dict[str, Any]:
    """A workflow as the REST API shows it (``id`` and ``uuid`` are the same; no secret)."""
    return {
        "id": str(workflow.id),
        "uuid": str(workflow.id),
        "name": workflow.name,
        "tasks": workflow.tasks,
        "webhook": workflow.webhook,
        "triggers": workflow.triggers,
        "createdAt": rfc3339_ms(workflow.created_at),
        "updatedAt": rfc3339_ms(workflow.updated_at),
    }


def task_result(outcome: TaskOutcome) -> dict[str, Any] | None:
    """The result entry of one task, or ``None`` while it has not finished."""
    state = TaskState(outcome.state)
    if state is TaskState.DONE:
        return outcome.result if outcome.result is not None else {"data": {}}
    if state is TaskState.SKIPPED:
        return {"skipped": True, "reason": outcome.reason or "skipped"}
    if state is TaskState.FAILED:
        return {"error": outcome.reason or "failed"}
    return None


def results(job: JobRecord) -> dict[str, Any]:
    """Results of the finished tasks, keyed by task id."""
    entries: dict[str, Any] = {}
    for task_id, outcome in job.tasks.items():
        entry = task_result(outcome)
        if entry is not None:
            entries[task_id] = entry
    return entries


def _moment(value: datetime | None) -> str | None:
    """A task's time as RFC 3339 with nine fraction digits, or ``None``."""
    if value is None:
        return None
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return rfc3339_ns((aware - _EPOCH) // timedelta(microseconds=1) * 1000)


def task_progress(job: JobRecord) -> dict[str, dict[str, Any]]:
    """Every task of the job (pending ones too) with its state, reason and times."""
    try:
        order: list[str] = list(validate_workflow(job.workflow.definition()).order)
    except WorkflowValidationError:
        order = []
    order += [task_id for task_id in job.tasks if task_id not in order]
    progress: dict[str, dict[str, Any]] = {}
    for task_id in order:
        outcome = job.tasks.get(task_id)
        state = TaskState(outcome.state) if outcome is not None else TaskState.PENDING
        progress[task_id] = {
            "state": state.value,
            "reason": outcome.reason if outcome else None,
            "startedAt": _moment(outcome.started_at) if outcome else None,
            "finishedAt": _moment(outcome.finished_at) if outcome else None,
        }
    return progress


def cdn_run(job: JobRecord) -> dict[str, Any]:
    """The answer to ``run_workflow``."""
    return {
        "createdAt": rfc3339_ns(job.created_at),
        "jobid": job.id,
        "sources": [job.source.value],
        "status": job.status.cdn_status,
        "updatedAt": rfc3339_ns(job.updated_at),
        "workflow": job.workflow_id,
    }


def cdn_status(job: JobRecord, ttl_s: float) -> dict[str, Any]:
    """The answer to ``workflow_status``."""
    body: dict[str, Any] = {
        "createdAt": rfc3339_ns(job.created_at),
        "jobid": job.id,
        "results": results(job),
        "sources": [job.source.value],
        "status": job.status.cdn_status,
        "ttl": int(ttl_s),
        "updatedAt": rfc3339_ns(job.updated_at),
        "workflow": job.workflow_id,
    }
    if job.status is JobStatus.FAILED:
        body["error"] = job.status_text
    body["tasks"] = task_progress(job)
    return body


def rest_job(job: JobRecord, replays: list[str] | None = None) -> dict[str, Any]:
    """A job as ``GET /workflows-beta/jobs/{uuid}`` answers it.

    ``results`` holds the results of the tasks finished so far (the beta API documents it
    filled once the job is done: a client reading it then sees the same); a failed job
    explains itself in ``status.text``. ``tasks`` shows progress; ``replayOf`` names the
    job this one replays, ``cancelledBy`` who cancelled it, ``trigger`` the file arrival that
    started it, and ``replays`` (given for
    one job) the jobs replaying it.
    """
    body: dict[str, Any] = {
        "handle": job.source_handle or job.source.value,
        "results": results(job),
        "status": {"type": job.status.value, "text": job.status_text},
        "createdAt": rfc3339_ms(job.created_at),
        "startedAt": rfc3339_ms(job.started_at) if job.started_at is not None else None,
        "updatedAt": rfc3339_ms(job.updated_at),
        "uuid": job.id,
        "workflow": workflow_resource(job.workflow),
        "tasks": task_progress(job),
        "replayOf": str(job.replay_of) if job.replay_of is not None else None,
        "cancelledBy": job.cancelled_by,
        "trigger": job.triggered_by.as_json() if job.triggered_by is not None else None,
    }
    if replays is not None:
        body["replays"] = replays
    return body


def webhook_id(job: JobRecord) -> int:
    """A stable integer id for a job's webhook (the same on every retry)."""
    return job.uuid.int >> 97


def webhook_body(job: JobRecord) -> dict[str, Any]:
    """The webhook posted when a job ends: the REST body for jobs started through the REST
    API, Filestack's ``fs.workflow`` body for the others."""
    if job.source.api is JobApi.REST:
        body = rest_job(job)
        for extension in ("tasks", "replayOf", "cancelledBy", "trigger"):  # the documented body only
            body.pop(extension, None)
        return body
    text: dict[str, Any] = {
        "jobid": job.id,
        "workflow": job.workflow_id,
        "createdAt": rfc3339_ns(job.created_at),
        "updatedAt": rfc3339_ns(job.updated_at),
        "sources": [job.source.value],
        "results": results(job),
        "status": job.status.cdn_status,
    }
    if job.status is JobStatus.FAILED:
        text["error"] = job.status_text
    finished = job.finished_at if job.finished_at is not None else job.updated_at
    return {
        "id": webhook_id(job),
        "action": WEBHOOK_ACTION,
        "timestamp": finished // 1_000_000_000,
        "text": text,
    }
