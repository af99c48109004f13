"""Pydantic models of the Workflows REST API (``workflows-beta``): workflows, action contracts, jobs.

A workflow is ``{"name", "tasks", "webhook"}``; a task is ``{"id", "action", "params",
"requires"}``; a requirement names a task and an optional condition ``{"type", "value",
"path"}``. Jobs come back in the shape of the webhook body (``handle``, ``results``,
``status{type,text}``, times, ``uuid``, ``workflow``) plus ``tasks``, each task's progress.
Unknown keys are kept (``extra="allow"``), so nothing the server adds is lost.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from .models import StoredResult, TaskResult, stored_outputs

#: The most jobs ``GET /jobs`` answers in one call (a page holds one fewer: the one more says whether
#: another page follows).
MAX_JOBS_PER_CALL = 200


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class ConditionType(str, Enum):
    """The comparisons a requirement's condition makes on the required task's result."""

    GT = "gt"
    LT = "lt"
    EQUALS = "equals"
    INCLUDES = "includes"


class Condition(_Model):
    """``value`` compared (``type``) with what ``path`` reaches in the required task's result."""

    type: ConditionType
    value: Any = None
    path: list[str | int] | None = None


class Requirement(_Model):
    """A task runs after ``task`` is done and, when there is one, its condition holds."""

    task: str
    condition: Condition | None = None


class TaskSpec(_Model):
    """One task of a workflow; ``id`` defaults to the action."""

    id: str | None = None
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    requires: list[Requirement] = Field(default_factory=list)
    #: ``{"task": "<id>"}``: the task reads that task's output file instead of the job's source.
    input: dict[str, str] | None = None

    @property
    def task_id(self) -> str:
        """The id other tasks require this one by."""
        return self.id or self.action


class WorkflowSpec(_Model):
    """What ``POST /workflows`` and ``PUT /workflows/{id}`` receive."""

    name: str
    tasks: list[TaskSpec]
    webhook: str | None = None
    #: ``[{"event": "upload", "constraints": [...]}]``: uploads that start the workflow by themselves.
    triggers: list[dict[str, Any]] = Field(default_factory=list)

    def body(self) -> dict[str, Any]:
        """The JSON body sent: the fields that were set, as given."""
        return self.model_dump(mode="json", exclude_unset=True, by_alias=True)


class Workflow(WorkflowSpec):
    """A stored workflow as the API answers it (``id`` and ``uuid`` are the same)."""

    id: str
    uuid: str | None = None
    created_at: datetime | None = Field(default=None, alias="createdAt")
    updated_at: datetime | None = Field(default=None, alias="updatedAt")

    def definition(self) -> dict[str, Any]:
        """The editable part (name, tasks, webhook, triggers) as a JSON body."""
        return {
            "name": self.name,
            "tasks": [task.model_dump(mode="json", exclude_none=True) for task in self.tasks],
            **({"webhook": self.webhook} if self.webhook else {}),
            **({"triggers": self.triggers} if self.triggers else {}),
        }


class ActionContract(_Model):
    """One action of ``GET /tasks``: its params (a JSON schema) and what it records."""

    name: str
    description: str = ""
    params: dict[str, Any] = Field(default_factory=dict)
    output: dict[str, Any] = Field(default_factory=dict)


class JobState(str, Enum):
    """Where a job stands; ``pending`` and ``running`` are unfinished."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the job is over."""
        return self in (JobState.DONE, JobState.FAILED)


class TaskState(str, Enum):
    """Where a task of a job stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        """Whether the task will not change any more."""
        return self in (TaskState.DONE, TaskState.SKIPPED, TaskState.FAILED)


class JobStatusInfo(_Model):
    """``status``: the job's state and, for a failed job, why."""

    type: JobState
    text: str = ""


class TaskProgress(_Model):
    """One entry of a job's ``tasks``: the task's state, why it was skipped or failed, and when."""

    state: TaskState = TaskState.PENDING
    reason: str | None = None
    started_at: datetime | None = Field(default=None, alias="startedAt")
    finished_at: datetime | None = Field(default=None, alias="finishedAt")


class Job(_Model):
    """A job as ``GET /jobs/{uuid}`` answers it.

    ``results`` holds the results of the tasks finished so far (the beta API documents it
    filled once the job is done); ``tasks`` shows every task's progress and times;
    ``replay_of`` names the job this one replays, ``cancelled_by`` who cancelled it, and
    ``replays`` (read for one job) the jobs replaying it.
    """

    uuid: str
    handle: str | None = None
    results: dict[str, TaskResult] = Field(default_factory=dict)
    status: JobStatusInfo
    created_at: datetime | None = Field(default=None, alias="createdAt")
    started_at: datetime | None = Field(default=None, alias="startedAt")
    updated_at: datetime | None = Field(default=None, alias="updatedAt")
    workflow: Workflow
    tasks: dict[str, TaskProgress] = Field(default_factory=dict)
    replay_of: str | None = Field(default=None, alias="replayOf")
    cancelled_by: str | None = Field(default=None, alias="cancelledBy")
    replays: list[str] = Field(default_factory=list)
    #: The upload that started the job (``arrival``, ``handle``, ``file``, ``trigger``, ``constraints``).
    trigger: dict[str, Any] | None = None

    @property
    def state(self) -> JobState:
        """The job's state."""
        return self.status.type

    @property
    def finished(self) -> bool:
        """Whether the job is over (done or failed)."""
        return self.status.type.finished

    @property
    def workflow_id(self) -> str:
        """The id of the workflow the job ran (a snapshot of it is in :attr:`workflow`)."""
        return self.workflow.id

    def stored_outputs(self) -> list[StoredResult]:
        """The files the job's tasks produced, by task."""
        return stored_outputs(self.results)


class WebhookAttempt(_Model):
    """One delivery attempt of a job's webhook."""

    attempt: int
    url: str
    at: datetime | None = None
    status_code: int | None = Field(default=None, alias="statusCode")
    error: str | None = None
    delivered: bool = False
    duration_ms: float | None = Field(default=None, alias="durationMs")


class WebhookLog(_Model):
    """``GET /jobs/{uuid}/webhooks``: where the job's webhook goes and every attempt so far."""

    jobid: str
    webhook: str | None = None
    attempts: list[WebhookAttempt] = Field(default_factory=list)


class JobQuery(BaseModel):
    """Which jobs :meth:`~dashboard.filestack.workflows_api.WorkflowsApi.list_jobs` lists.

    ``after`` is the cursor: the ``uuid`` of the last job of the previous page; the
    page holds the jobs that come after it, newest first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    workflow: str | None = None
    status: JobState | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    limit: int = Field(default=20, ge=1, lt=MAX_JOBS_PER_CALL)
    after: str | None = None


class JobPage(BaseModel):
    """One page of jobs, newest first; ``next_cursor`` is set when more follow."""

    model_config = ConfigDict(frozen=True)

    jobs: list[Job]
    next_cursor: str | None = None


class QuarantinedFile(_Model):
    """A file held in quarantine (``GET /quarantine``): out of public reach until released."""

    handle: str
    reason: str
    job: str | None = None
    quarantined_at: datetime | None = Field(default=None, alias="quarantinedAt")
    filename: str | None = None
    size: int | None = None
    mimetype: str | None = None
