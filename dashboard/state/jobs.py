"""JobListState and JobDetailState: the jobs console, read through the REST API.

The list asks ``GET /jobs`` with the filters (workflow, status, time) and a cursor per
page; a job's page shows its source, each task's state, time, reason, result and stored
outputs, and every webhook attempt, and follows the job while it runs. It cancels the job
(``POST /jobs/{uuid}/cancel``, naming the admin who asked) and replays it
(``POST /jobs/{uuid}/replay``, then shows the new job), each after a confirmation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import reflex as rx

from dashboard import connection, studio_runs
from dashboard.filestack import (
    FilestackConflict,
    FilestackError,
    FilestackNotFound,
    JobQuery,
    JobState,
    WebhookLog,
)
from dashboard.job_views import (
    AttemptRow,
    JobRow,
    TaskRunRow,
    attempt_row,
    job_duration,
    job_row,
    job_states,
    task_rows,
    when,
)
from dashboard.state.studio import StudioState, studio_event
from dashboard.trigger_text import started_by
from dashboard.workflow_graph import graph_of

PAGE_SIZE = 20

#: The time filter's choices: value -> (label, how far back).
TIME_WINDOWS: dict[str, tuple[str, timedelta | None]] = {
    "": ("Any time", None),
    "15m": ("Last 15 minutes", timedelta(minutes=15)),
    "1h": ("Last hour", timedelta(hours=1)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
}
STATUSES = tuple(state.value for state in JobState)
#: What the job page asks to confirm.
CONFIRMABLE = ("cancel", "replay")


@dataclass
class WorkflowOption:
    """A workflow in the filter."""

    id: str
    name: str


def job_query(
    workflow: str, status: str, window: str, after: str | None, now: datetime | None = None
) -> JobQuery:
    """The REST query for the console's filters."""
    span = TIME_WINDOWS.get(window, ("", None))[1]
    since = (now or datetime.now(UTC)) - span if span is not None else None
    return JobQuery(
        workflow=workflow or None,
        status=JobState(status) if status in STATUSES else None,
        created_after=since,
        limit=PAGE_SIZE,
        after=after or None,
    )


class JobListState(StudioState):
    """The page at ``/jobs``."""

    rows: list[JobRow] = []
    workflows: list[WorkflowOption] = []
    workflow_filter: str = ""
    status_filter: str = ""
    time_filter: str = ""
    page: int = 1
    has_next: bool = False
    error: str = ""
    loading: bool = False

    #: Cursor of each page shown so far (``""`` for the first).
    _cursors: list[str] = [""]
    _next: str = ""

    @rx.event
    @studio_event
    async def load_page(self):
        """``on_load``: filters from the URL (``?workflow=…&status=…&since=…``), first page."""
        query = self.router.url.query_parameters
        self.workflow_filter = str(query.get("workflow", ""))
        self.status_filter = str(query.get("status", "")) if query.get("status") in STATUSES else ""
        self.time_filter = str(query.get("since", "")) if query.get("since") in TIME_WINDOWS else ""
        try:
            async with connection.open_client() as fs:
                workflows = await fs.workflows_api.list_workflows()
        except FilestackError as err:
            self.error = f"The workflows could not be read: {err}"
            workflows = []
        self.workflows = [WorkflowOption(id=w.id, name=w.name) for w in workflows]
        await self._show_page([""])

    async def _show_page(self, cursors: list[str]) -> None:
        self.loading = True
        query = job_query(self.workflow_filter, self.status_filter, self.time_filter, cursors[-1])
        try:
            async with connection.open_client() as fs:
                page = await fs.workflows_api.list_jobs(query)
        except FilestackError as err:
            self.rows, self.error, self.loading, self.has_next = (
                [],
                f"The jobs could not be read: {err}",
                False,
                False,
            )
            return
        self._cursors, self._next = cursors, page.next_cursor or ""
        self.rows = [job_row(job) for job in page.jobs]
        self.page, self.has_next = len(cursors), page.next_cursor is not None
        self.error, self.loading = "", False

    @rx.event
    @studio_event
    async def set_workflow_filter(self, workflow_id: str):
        """Only the jobs of one workflow (empty: all)."""
        self.workflow_filter = workflow_id
        await self._show_page([""])

    @rx.event
    @studio_event
    async def set_status_filter(self, status: str):
        """Only the jobs in one state (empty: all)."""
        self.status_filter = status if status in STATUSES else ""
        await self._show_page([""])

    @rx.event
    @studio_event
    async def set_time_filter(self, window: str):
        """Only the jobs created in a recent window (empty: any time)."""
        self.time_filter = window if window in TIME_WINDOWS else ""
        await self._show_page([""])

    @rx.event
    @studio_event
    async def next_page(self):
        """The older jobs."""
        if self._next:
            await self._show_page([*self._cursors, self._next])

    @rx.event
    @studio_event
    async def previous_page(self):
        """The newer jobs."""
        if len(self._cursors) > 1:
            await self._show_page(self._cursors[:-1])

    @rx.event
    @studio_event
    async def refresh(self):
        """Read the current page again."""
        await self._show_page(self._cursors)


class JobDetailState(StudioState):
    """The page at ``/jobs/[job_uuid]``."""

    job_uuid: str = ""
    found: bool = False
    error: str = ""
    workflow_id: str = ""
    workflow_name: str = ""
    state: str = ""
    status_text: str = ""
    source: str = ""
    source_thumb: str = ""
    created: str = ""
    started: str = ""
    updated: str = ""
    duration: str = ""
    rows: list[TaskRunRow] = []
    attempts: list[AttemptRow] = []
    webhook: str = ""
    graph_nodes: list[dict[str, Any]] = []
    graph_edges: list[dict[str, Any]] = []
    #: Who cancelled the job ("" unless it was cancelled).
    cancelled_by: str = ""
    #: The job this one replays, and the jobs replaying this one.
    replay_of: str = ""
    replays: list[str] = []
    #: What started the job when an upload did ("" otherwise).
    started_by: str = ""
    #: The action waiting for confirmation: "cancel", "replay" or "".
    confirming: str = ""
    acting: bool = False

    @rx.event
    @studio_event
    async def load_page(self):
        """``on_load``: the job named by the URL, followed while it runs."""
        async for event in self._load(self._route_arg()):
            yield event

    @rx.event
    @studio_event
    async def load(self, job_uuid: str):
        """Read one job, its results and its webhook attempts."""
        async for event in self._load(job_uuid):
            yield event

    @rx.event
    @studio_event
    def ask(self, action: str):
        """Ask to confirm cancelling or replaying the job ("" closes the question)."""
        self.confirming = action if action in CONFIRMABLE else ""

    @rx.event
    @studio_event
    async def cancel_job(self):
        """Cancel the job (confirmed): it stops, and the page shows who cancelled it."""
        job_uuid, self.confirming = self.job_uuid, ""
        if not job_uuid or self.acting:
            return
        self.acting = True
        yield
        viewer = await self._viewer()
        try:
            async with connection.open_client() as fs:
                await fs.workflows_api.cancel_job(job_uuid, by=viewer.username)
        except FilestackConflict as err:
            self.acting = False
            yield rx.toast.error(f"Not cancelled: {err.message}")
            return
        except (FilestackError, ValueError) as err:
            self.acting = False
            yield rx.toast.error(f"The job could not be cancelled: {err}")
            return
        self.acting = False
        yield rx.toast.success("Job cancelled.")
        async for event in self._load(job_uuid):
            yield event

    @rx.event
    @studio_event
    async def replay_job(self):
        """Replay the job (confirmed): the same workflow on the same source, as a new job."""
        job_uuid, self.confirming = self.job_uuid, ""
        if not job_uuid or self.acting:
            return
        self.acting = True
        yield
        try:
            async with connection.open_client() as fs:
                replay = await fs.workflows_api.replay_job(job_uuid)
        except (FilestackError, ValueError) as err:
            self.acting = False
            yield rx.toast.error(f"The job could not be replayed: {err}")
            return
        self.acting = False
        yield rx.redirect(f"/jobs/{replay.uuid}")

    async def _load(self, job_uuid: str):
        self.job_uuid, self.found, self.error, self.confirming = job_uuid, False, "", ""
        try:
            async with connection.open_client() as fs:
                snapshot = await studio_runs.read_snapshot(fs, job_uuid)
                log = await fs.workflows_api.job_webhooks(job_uuid)
        except FilestackNotFound:
            self.error = "There is no such job: finished jobs are kept for 48 hours."
            return
        except (FilestackError, ValueError) as err:
            self.error = f"The job could not be read: {err}"
            return
        self._show(snapshot, log)
        if not snapshot.job.finished or not studio_runs.deliveries_settled(log):
            yield JobDetailState.follow

    def _show_attempts(self, log: WebhookLog) -> None:
        self.webhook = log.webhook or ""
        self.attempts = [attempt_row(attempt) for attempt in log.attempts]

    def _show(self, snapshot: studio_runs.JobSnapshot, log: WebhookLog | None) -> None:
        job = snapshot.job
        self.found = True
        self.workflow_id, self.workflow_name = job.workflow_id, job.workflow.name
        self.state, self.status_text = job.state.value, job.status.text
        self.source = job.handle or ""
        self.source_thumb = (
            studio_runs.thumbnail_url(job.handle) if job.handle and len(job.handle) == 20 else ""
        )
        self.created, self.started, self.updated = (
            when(job.created_at),
            when(job.started_at),
            when(job.updated_at),
        )
        self.duration = job_duration(job)
        self.rows = task_rows(job, studio_runs.thumbnail_url, snapshot.observed, snapshot.now)
        self.graph_nodes, self.graph_edges = graph_of(job.workflow.definition(), job_states(job))
        self.cancelled_by, self.replay_of = job.cancelled_by or "", job.replay_of or ""
        self.replays = list(job.replays)
        self.started_by = started_by(job.trigger)
        if log is not None:
            self._show_attempts(log)

    @rx.event(background=True, supersedes=True)
    async def follow(self):
        """Follow the job while it runs, then its webhook deliveries until they settle."""
        async with self:
            if not await self._permitted("JobDetailState.follow"):
                return
            job_uuid = self.job_uuid
        if not job_uuid:
            return

        async def push(snapshot: studio_runs.JobSnapshot) -> bool:
            async with self:
                if self.job_uuid != job_uuid:
                    return False
                self._show(snapshot, None)
            return True

        async def push_attempts(log: WebhookLog) -> bool:
            async with self:
                if self.job_uuid != job_uuid:
                    return False
                self._show_attempts(log)
            return True

        try:
            await studio_runs.follow_job(job_uuid, push)
            async with connection.open_client() as fs:
                await studio_runs.follow_webhooks(fs, job_uuid, push_attempts)
        except FilestackError as err:
            async with self:
                if self.job_uuid == job_uuid:
                    self.error = f"Stopped following the job: {err}"
