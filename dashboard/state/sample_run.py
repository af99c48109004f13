"""SampleRunState: a test run of the workflow being edited, on a sample photo or an uploaded one.

The run starts with ``POST /jobs`` on the saved workflow and a background task follows the
job, pushing each task's state, time, result and outputs to the page (and the states to
the editor's graph). The job's truth is the service's job store; the task only watches.
"""

from __future__ import annotations

import asyncio
import time

import reflex as rx

from dashboard import studio_runs
from dashboard.filestack import FilestackError
from dashboard.job_views import TaskRunRow, job_states, task_rows, when
from dashboard.photo_checks import RejectedPhoto
from dashboard.settings import get_settings
from dashboard.state.studio import StudioState, studio_event
from dashboard.state.workflow_editor import WorkflowEditorState

UPLOAD_ID = "run-upload"


class SampleRunState(StudioState):
    """The test-run panel of the editor."""

    samples: list[studio_runs.SamplePhoto] = []
    selected: str = ""
    #: idle | starting | running | done | failed | timed out
    phase: str = "idle"
    message: str = ""
    job_uuid: str = ""
    job_state: str = ""
    source_name: str = ""
    source_thumb: str = ""
    started: str = ""
    rows: list[TaskRunRow] = []
    #: When the run's job was started (``time.monotonic()``), for the tasks' observed times.
    _started: float = 0.0

    @rx.var
    def busy(self) -> bool:
        """True from the click until the job ends."""
        return self.phase in ("starting", "running")

    @rx.event
    @studio_event
    async def prepare(self):
        """``on_load``: list the samples; a new page starts without a run."""
        self.samples = studio_runs.sample_photos()
        if self.selected not in {s.name for s in self.samples}:
            self.selected = self.samples[0].name if self.samples else ""
        self.phase, self.message, self.job_uuid, self.rows = "idle", "", "", []
        self.job_state = self.source_name = self.source_thumb = self.started = ""

    @rx.event
    @studio_event
    def select(self, name: str):
        """Choose the sample photo to run on."""
        self.selected = name

    async def _workflow_to_run(self) -> str | None:
        editor = await self.get_state(WorkflowEditorState)
        return None if editor.is_new else editor.workflow_id

    @rx.event
    @studio_event
    async def run_sample(self):
        """Run the saved workflow on the chosen sample photo."""
        if self.busy:
            return
        try:
            data = await asyncio.to_thread(studio_runs.sample_bytes, self.selected)
        except LookupError as err:
            yield rx.toast.error(str(err))
            return
        async for event in self._start(data, self.selected):
            yield event

    @rx.event
    @studio_event
    async def run_upload(self, files: list[rx.UploadFile]):
        """Run the saved workflow on a photo the person dropped."""
        if not files or self.busy:
            return
        upload = files[0]
        limit = get_settings().max_upload_bytes
        if upload.size is not None and upload.size > limit:
            yield rx.toast.error(f"{upload.name} is too large; the limit is {limit // (1024 * 1024)} MB.")
            return
        data = await upload.read()
        async for event in self._start(data, upload.name or "photo"):
            yield event

    @rx.event
    @studio_event
    def on_rejected(self, rejections: list[dict]):
        """The browser refused the dropped file."""
        reasons = [e.get("message", "") for r in rejections or [] for e in (r.get("errors") or [])]
        self.phase, self.message = "failed", f"File not accepted: {reasons[0] if reasons else 'not a photo'}."

    async def _start(self, data: bytes, filename: str):
        workflow_id = await self._workflow_to_run()
        if workflow_id is None:
            yield rx.toast.error("Save the workflow before running it.")
            return
        self.phase, self.message, self.rows, self.job_uuid = "starting", f"Uploading {filename}…", [], ""
        self.source_name, self.source_thumb, self.job_state = filename, "", ""
        yield
        self._started = time.monotonic()
        try:
            handle, job = await studio_runs.start_run(workflow_id, data, filename)
        except RejectedPhoto as err:
            self.phase, self.message = "failed", str(err)
            return
        except FilestackError as err:
            self.phase, self.message = "failed", f"The run could not start: {err}"
            return
        self.job_uuid, self.job_state, self.started = job.uuid, job.state.value, when(job.created_at)
        self.source_thumb = studio_runs.thumbnail_url(handle)
        self.phase, self.message = "running", "Running…"
        yield SampleRunState.follow

    @rx.event(background=True, supersedes=True)
    async def follow(self):
        """Follow the run's job until it ends, pushing every change to the page."""
        async with self:
            if not await self._permitted("SampleRunState.follow"):
                return
            job_uuid, started = self.job_uuid, self._started
        if not job_uuid:
            return

        async def push(snapshot: studio_runs.JobSnapshot) -> bool:
            rows = task_rows(snapshot.job, studio_runs.thumbnail_url, snapshot.observed, snapshot.now)
            async with self:
                if self.job_uuid != job_uuid:
                    return False
                self.rows, self.job_state = rows, snapshot.job.state.value
                editor = await self.get_state(WorkflowEditorState)
                editor._show_run(job_states(snapshot.job))
            return True

        try:
            last = await studio_runs.follow_job(job_uuid, push, started=started)
        except FilestackError as err:
            async with self:
                if self.job_uuid == job_uuid:
                    self.phase, self.message = "failed", f"Lost track of the job: {err}"
            return
        async with self:
            if self.job_uuid != job_uuid:
                return
            if last.timed_out:
                self.phase, self.message = "timed out", "Still running; follow it in the jobs console."
            elif last.job.state.value == "done":
                self.phase, self.message = "done", "Finished."
            else:
                self.phase, self.message = "failed", last.job.status.text or "The job failed."
