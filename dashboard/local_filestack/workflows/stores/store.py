"""Where workflows, jobs, task outcomes, task outputs and webhook attempts are kept.

:class:`JobStore` is the interface the engine, the APIs and the webhook sender use;
:class:`~dashboard.local_filestack.workflows.stores.sql.SqlJobStore` implements it on SQLite
(one machine) and on PostgreSQL (many workers), and
:func:`~dashboard.local_filestack.workflows.stores.sql.open_job_store` picks the database the
deployment names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

from dashboard.local_filestack.workflows.model.jobs import (
    JobFilter,
    JobRecord,
    JobStatus,
    TaskOutput,
    WebhookAttempt,
    WorkflowRecord,
)
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome


class PurgeResult(BaseModel):
    """What a purge removed: how many jobs, and the temporary files they left behind."""

    jobs: int
    temporary_handles: list[str]


@runtime_checkable
class JobStore(Protocol):
    """Persistence of workflows, jobs, task outcomes, task outputs and webhook attempts."""

    async def save_workflow(self, workflow: WorkflowRecord) -> None:
        """Insert or replace a workflow."""
        ...

    async def get_workflow(self, workflow_id: str) -> WorkflowRecord | None:
        """A workflow by id, or ``None``."""
        ...

    async def list_workflows(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first."""
        ...

    async def delete_workflow(self, workflow_id: str) -> bool:
        """Remove a workflow; ``True`` if it existed. Its jobs keep their snapshot."""
        ...

    async def create_job(self, job: JobRecord) -> None:
        """Record a new job."""
        ...

    async def create_arrival_job(self, job: JobRecord, handle: str) -> tuple[str, bool]:
        """Record ``job``, started by the arrival of file ``handle``, unless a job of the same
        workflow was recorded for that file before: ``(job id, created)``, where the id is the
        earlier job's when ``created`` is false. One statement decides, whichever process asks."""
        ...

    async def discard_job(self, job_id: str) -> None:
        """Forget a job that was never accepted (its enqueue failed)."""
        ...

    async def get_job(self, job_id: str) -> JobRecord | None:
        """A job with its task outcomes, or ``None``."""
        ...

    async def mark_running(self, job_id: str, at: int) -> JobRecord:
        """Record that a runner picked the unfinished job up; return the job (as it is if it ended)."""
        ...

    async def set_source_handle(self, job_id: str, handle: str, at: int) -> None:
        """Record the stored file the job's actions work on."""
        ...

    async def update_task(self, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> bool:
        """Record the outcome (so far) of one task of an unfinished job; ``False`` (nothing
        written) once the job has ended, e.g. been cancelled."""
        ...

    async def finish(self, job_id: str, status: JobStatus, text: str, at: int) -> bool:
        """Record the end of an unfinished job; ``False`` (nothing changed) if it had ended already."""
        ...

    async def end_job(
        self, job_id: str, status: JobStatus, text: str, at: int, tasks: Mapping[str, TaskOutcome]
    ) -> tuple[bool, JobRecord | None]:
        """:meth:`finish` with the last task outcomes written in the same transaction (only if
        this call ends the job), then the job read back: whether this call ended it, and the job."""
        ...

    async def cancel(self, job_id: str, text: str, by: str, at: int, unstarted: Sequence[str]) -> bool:
        """End an unfinished job as cancelled, in one transaction: ``failed`` with ``text``, its
        running tasks failed (``stopped: <text>``), the ``unstarted`` ones skipped. ``False``
        (nothing changed) if it had ended already."""
        ...

    async def list_jobs(self, selection: JobFilter) -> list[JobRecord]:
        """The jobs ``selection`` picks, newest first (``created_at``, then ``uuid``)."""
        ...

    async def replays_of(self, job_id: str) -> list[str]:
        """The ids of the jobs that replay ``job_id``, oldest first."""
        ...

    async def list_recent(self, workflow_id: str | None = None, limit: int = 20) -> list[JobRecord]:
        """The newest jobs, optionally of one workflow, newest first."""
        ...

    async def claim_unfinished(self, at: int) -> list[str]:
        """Reset queued and running jobs to pending (running tasks too); return their ids, oldest first."""
        ...

    async def purge_finished(self, before: int) -> PurgeResult:
        """Delete jobs that finished before ``before``, with everything recorded about them."""
        ...

    async def reserve_output(self, job_id: str, task_id: str, *, temporary: bool) -> TaskOutput:
        """The output handle of a task, reserving a fresh one on first call."""
        ...

    async def add_webhook_attempt(self, attempt: WebhookAttempt) -> None:
        """Record one webhook delivery attempt."""
        ...

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        """A job's webhook attempts in order."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...
