"""Records of the workflow engine: stored workflows, jobs, task outputs, webhook attempts.

Times are integer nanoseconds since the Unix epoch (``time.time_ns()``), so the
RFC 3339 timestamps the APIs answer with keep the nine-digit fraction Filestack
shows (``2019-10-24T20:50:38.695634422Z``). A job keeps a snapshot of the
workflow it runs, so editing or deleting a workflow never changes a job that was
already accepted.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from enum import Enum
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from dashboard.filestack_protocol.grammar import is_handle
from dashboard.local_filestack.workflows.model.triggers import JobTrigger
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState, Workflow

ALIAS_PREFIX = "src://"
"""Sources written ``src://<alias>/<path>`` name a file in a configured storage alias."""

SOURCE_OUTPUT = "__source__"
"""The output slot under which a fetched URL source is kept (see :class:`TaskOutput`)."""

CANCELLED_BY_API = "an API request"
"""Who cancelled a job when the request names no one."""


def now_ns() -> int:
    """The current time in nanoseconds since the epoch."""
    return time.time_ns()


def rfc3339_ns(stamp: int) -> str:
    """``2019-10-24T20:50:38.695634422Z``: UTC, nine fraction digits, ``Z``."""
    seconds, nanos = divmod(stamp, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos:09d}Z"


def rfc3339_ms(stamp: int) -> str:
    """``2018-01-02T14:56:05.000Z``: UTC, three fraction digits, ``Z``."""
    seconds, nanos = divmod(stamp, 1_000_000_000)
    base = datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{nanos // 1_000_000:03d}Z"


class JobStatus(str, Enum):
    """Where a job stands. ``pending`` and ``running`` are the unfinished states."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the job is over (done or failed)."""
        return self in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def cdn_status(self) -> str:
        """The CDN API's word for it: ``Started``, ``Finished`` or ``Failed``."""
        if self is JobStatus.DONE:
            return "Finished"
        if self is JobStatus.FAILED:
            return "Failed"
        return "Started"


class SourceKind(str, Enum):
    """What a job's source names."""

    HANDLE = "handle"
    URL = "url"
    ALIAS = "alias"


class JobApi(str, Enum):
    """Which API started a job; it decides the body of the job's webhook."""

    #: ``run_workflow`` on the CDN, workflows named at upload or by ``store=workflows``:
    #: Filestack's ``fs.workflow`` webhook.
    CDN = "cdn"
    #: ``POST /workflows-beta/jobs``: the beta REST API's job body.
    REST = "rest"


class JobSource(BaseModel):
    """The source a job was started on, as given (``value``) and classified (``kind``), and the
    API it was started through (``api``; kept with the source so records need no new column)."""

    model_config = ConfigDict(frozen=True)

    kind: SourceKind
    value: str
    api: JobApi = JobApi.CDN

    @classmethod
    def classify(cls, source: str, api: JobApi = JobApi.CDN) -> JobSource:
        """Tell a handle, an external URL and a storage alias apart.

        Raises :class:`ValueError` for anything else.
        """
        text = source.strip()
        if text.startswith(ALIAS_PREFIX):
            return cls(kind=SourceKind.ALIAS, value=text, api=api)
        lowered = text.lower()
        if lowered.startswith(("http://", "https://")):
            return cls(kind=SourceKind.URL, value=text, api=api)
        if is_handle(text):
            return cls(kind=SourceKind.HANDLE, value=text, api=api)
        raise ValueError(
            f"source {source!r} is neither a file handle, an http(s) URL nor a src:// storage alias"
        )


class WorkflowRecord(BaseModel):
    """A stored workflow: the definition plus its id, secret and times.

    ``webhook_secret`` signs this workflow's webhooks; without one the app secret
    does. It is never shown in API answers.
    """

    model_config = ConfigDict(frozen=True)

    id: UUID
    name: str
    tasks: list[dict[str, Any]]
    webhook: str | None = None
    webhook_secret: str | None = None
    triggers: list[dict[str, Any]] = Field(default_factory=list)
    created_at: int
    updated_at: int

    def definition(self) -> Workflow:
        """The definition as the pure workflow model (re-validated)."""
        return Workflow.model_validate(
            {
                "id": self.id,
                "name": self.name,
                "tasks": self.tasks,
                "webhook": self.webhook,
                "triggers": self.triggers,
            }
        )


class JobRecord(BaseModel):
    """One run of a workflow on one source.

    ``source_handle`` is the stored file the actions work on: the handle itself,
    or the temporary copy of a fetched URL once it has been fetched. ``base_url``
    is the public base of the CDN the job was started through (``base_url/HANDLE`` is a
    stored file); output URLs are built on it.
    ``runs`` counts how often a runner picked the job up (more than one after a
    restart). ``replay_of`` is the job this one replays; ``cancelled_by`` says who
    cancelled it (a cancelled job is ``failed`` with the text ``cancelled by …``).
    ``triggered_by`` records the file arrival that started it, for jobs started at upload.
    """

    model_config = ConfigDict(frozen=True)

    uuid: UUID
    workflow: WorkflowRecord
    source: JobSource
    source_handle: str | None = None
    status: JobStatus = JobStatus.PENDING
    status_text: str = ""
    base_url: str | None = None
    created_at: int
    started_at: int | None = None
    updated_at: int
    finished_at: int | None = None
    runs: int = 0
    replay_of: UUID | None = None
    cancelled_by: str | None = None
    triggered_by: JobTrigger | None = None
    tasks: dict[str, TaskOutcome] = Field(default_factory=dict)

    @property
    def id(self) -> str:
        """The job id as a string."""
        return str(self.uuid)

    @property
    def workflow_id(self) -> str:
        """The id of the workflow the job runs."""
        return str(self.workflow.id)

    def expired(self, ttl_s: float, at_ns: int | None = None) -> bool:
        """Whether the job finished more than ``ttl_s`` seconds before ``at_ns`` (now)."""
        if self.finished_at is None:
            return False
        current = now_ns() if at_ns is None else at_ns
        return current - self.finished_at > int(ttl_s * 1_000_000_000)

    def task_states(self) -> dict[str, TaskState]:
        """Each recorded task's state."""
        return {task_id: TaskState(outcome.state) for task_id, outcome in self.tasks.items()}


def cancel_text(by: str) -> str:
    """The status text of a job ``by`` cancelled."""
    return f"cancelled by {by}"


class JobFilter(BaseModel):
    """Which jobs a listing returns, newest first (``created_at``, then ``uuid``, descending).

    ``created_from`` is inclusive and ``created_before`` exclusive (nanoseconds);
    ``older_than`` is a cursor, the ``(created_at, uuid)`` of the last job of the
    previous page: only jobs strictly after it in that order are listed.
    ``finished_since`` leaves out jobs that finished before it (their TTL ran out).
    """

    model_config = ConfigDict(frozen=True)

    workflow_id: str | None = None
    status: JobStatus | None = None
    created_from: int | None = None
    created_before: int | None = None
    older_than: tuple[int, str] | None = None
    finished_since: int | None = None
    limit: int = Field(default=20, ge=1)


class TaskOutput(BaseModel):
    """The handle a task of a job stores its output under, reserved before the write.

    Reserving the handle first makes storing idempotent: a task run again (after
    a restart) finds its reservation, and the file if it was already written.
    ``temporary`` outputs are deleted with the job when its TTL runs out.
    """

    model_config = ConfigDict(frozen=True)

    job_uuid: UUID
    task_id: str
    handle: str
    temporary: bool


class WebhookAttempt(BaseModel):
    """One delivery attempt of a job's webhook."""

    model_config = ConfigDict(frozen=True)

    job_uuid: UUID
    attempt: int = Field(ge=1)
    url: str
    at: int
    status_code: int | None = None
    error: str | None = None
    delivered: bool
    duration_ms: float = Field(ge=0)

    def as_json(self) -> dict[str, Any]:
        """The attempt as ``GET /jobs/{uuid}/webhooks`` lists it."""
        return {
            "attempt": self.attempt,
            "url": self.url,
            "at": rfc3339_ns(self.at),
            "statusCode": self.status_code,
            "error": self.error,
            "delivered": self.delivered,
            "durationMs": round(self.duration_ms, 3),
        }
