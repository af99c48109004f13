"""The JSON shapes of workflows and jobs as the CDN, REST and webhook APIs answer them.

Key order matters to some clients and is kept exactly:

* CDN run: ``createdAt, jobid, sources, status, updatedAt, workflow``;
* CDN status: ``createdAt, jobid, results, sources, status, ttl, updatedAt,
  workflow``, then ``error`` (failed jobs) and ``tasks`` (per-task progress,
  an extension);
* REST job: ``handle, results, status{type,text}, createdAt, startedAt,
  updatedAt, uuid, workflow`` (the workflow resource), then ``tasks``;
* webhook of a job started on the CDN or at upload: ``id, action, timestamp,
  text{jobid, workflow, createdAt, updatedAt, sources, results, status}``;
* webhook of a job started through the REST API: the beta API's documented body,
  ``handle, results, status{type,text}, createdAt, startedAt, updatedAt, uuid,
  workflow``.

A task's result is ``{"data": {...}}`` when done, ``{"skipped": true,
"reason": ...}`` when skipped and ``{"error": ...}`` when failed; tasks not yet
finished have no result.
"""

from __future__ import annotations

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


def workflow_resource(workflow: WorkflowRecord) -> dict[str, Any]:
    """A workflow as the REST API shows it (``id`` and ``uuid`` are the same; no secret)."""
    return {
        "id": str(workflow.id),
        "uuid": str(workflow.id),
        "name": workflow.name,
        "tasks": workflow.tasks,
        "webhook": workflow.webhook,
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


def task_progress(job: JobRecord) -> dict[str, dict[str, Any]]:
    """Every task of the job (pending ones too) with its state and reason."""
    try:
        order: list[str] = list(validate_workflow(job.workflow.definition()).order)
    except WorkflowValidationError:
        order = []
    order += [task_id for task_id in job.tasks if task_id not in order]
    progress: dict[str, dict[str, Any]] = {}
    for task_id in order:
        outcome = job.tasks.get(task_id)
        state = TaskState(outcome.state) if outcome is not None else TaskState.PENDING
        progress[task_id] = {"state": state.value, "reason": outcome.reason if outcome else None}
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


def rest_job(job: JobRecord) -> dict[str, Any]:
    """A job as ``GET /workflows-beta/jobs/{uuid}`` answers it.

    As documented for the beta API, ``results`` is filled once the job is done;
    a failed job explains itself in ``status.text``. ``tasks`` shows progress.
    """
    return {
        "handle": job.source_handle or job.source.value,
        "results": results(job) if job.status is JobStatus.DONE else {},
        "status": {"type": job.status.value, "text": job.status_text},
        "createdAt": rfc3339_ms(job.created_at),
        "startedAt": rfc3339_ms(job.started_at) if job.started_at is not None else None,
        "updatedAt": rfc3339_ms(job.updated_at),
        "uuid": job.id,
        "workflow": workflow_resource(job.workflow),
        "tasks": task_progress(job),
    }


def webhook_id(job: JobRecord) -> int:
    """A stable integer id for a job's webhook (the same on every retry)."""
    return job.uuid.int >> 97


def webhook_body(job: JobRecord) -> dict[str, Any]:
    """The webhook posted when a job ends: the REST body for jobs started through the REST
    API, Filestack's ``fs.workflow`` body for the others."""
    if job.source.api is JobApi.REST:
        body = rest_job(job)
        body.pop("tasks", None)
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
