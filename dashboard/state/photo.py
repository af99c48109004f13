"""AvatarState and CoverState: one photo slot each, from upload to the final stored file.

Both share :class:`PhotoSlot`, a state mixin: each slot gets its own copy of the vars
and handlers. The job's truth lives in the database and the service's job store; the
background task only follows it and pushes what it sees into the page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import ClassVar

import reflex as rx

from dashboard import follow_leases, photo_jobs, profile_store
from dashboard.filestack import FilestackError
from dashboard.models import PhotoJob
from dashboard.photo_checks import RejectedPhoto
from dashboard.settings import get_settings
from dashboard.state.activity import ActivityState

log = logging.getLogger(__name__)

STATE_LABELS = {
    "pending": "queued",
    "running": "running",
    "done": "done",
    "skipped": "skipped",
    "failed": "failed",
}


def _task_rows(states: dict[str, dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"id": task_id, "state": STATE_LABELS.get(info.get("state", ""), info.get("state", "")),
         "reason": info.get("reason", "")}
        for task_id, info in states.items()
    ]


class PhotoSlot(rx.State, mixin=True):
    """What the page shows for one photo slot, and the handlers that change it."""

    slot: ClassVar[str] = ""

    #: What the <img> shows: the saved photo, or the preview while processing.
    photo_url: str = ""
    #: The profile's saved photo, shown again if a job fails.
    saved_url: str = ""
    #: idle | uploading | processing | done | failed
    phase: str = "idle"
    message: str = ""
    progress: int = 0
    tasks: list[dict[str, str]] = []
    job_id: int = 0

    @rx.var
    def busy(self) -> bool:
        """True while a file is uploading or being processed."""
        return self.phase in ("uploading", "processing")

    @rx.var
    def can_retry(self) -> bool:
        """A failed job can run its workflow again on the kept original."""
        return self.phase == "failed" and self.job_id > 0

    @rx.event
    async def load_slot(self):
        """Show the saved photo, and pick up a job still processing (after a reload)."""
        profile = await asyncio.to_thread(profile_store.load_profile)
        handle = getattr(profile, f"{self.slot}_handle")
        self.saved_url = photo_jobs.photo_url(handle) if handle else ""
        self.photo_url = self.saved_url
        self.phase, self.message, self.tasks, self.job_id = "idle", "", [], 0
        job = await asyncio.to_thread(profile_store.latest_job, self.slot)
        if job is None:
            return
        self.job_id = job.id or 0
        if job.status in profile_store.OPEN_STATES and job.jobid:
            self.photo_url = job.preview_url or self.saved_url
            self.phase, self.message = "processing", "Processing…"
            self.tasks = _task_rows(_loads(job.tasks_json))
            return type(self).follow_job
        if job.status == "failed":
            self.phase, self.message = "failed", job.error or "The last upload failed."
            self.tasks = _task_rows(_loads(job.tasks_json))

    @rx.event
    def on_progress(self, progress: dict):
        """Upload progress from the browser: ``{"loaded", "total", "progress"}``."""
        fraction = float(progress.get("progress") or 0)
        self.progress = max(0, min(100, round(fraction * 100)))
        if self.progress < 100:
            self.phase, self.message = "uploading", f"Uploading… {self.progress}%"

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile]):
        """Store the dropped file, show its preview at once, then run the workflow."""
        if not files:
            return
        upload = files[0]
        filename = upload.name or "photo"
        limit = get_settings().max_upload_bytes
        if upload.size is not None and upload.size > limit:
            self._reject(f"{filename} is too large; the limit is {limit // (1024 * 1024)} MB.")
            yield rx.toast.error(self.message)
            return
        data = await upload.read()
        try:
            job = await photo_jobs.upload(self.slot, data, filename)
        except RejectedPhoto as err:
            self._reject(str(err))
            yield rx.toast.error(str(err))
            return
        except FilestackError as err:
            self._reject(f"Upload failed: {err}")
            yield rx.toast.error(self.message)
            return
        self.job_id = job.id or 0
        await follow_leases.remember_client(get_settings().redis_url, self.job_id, self.router.session.client_token)
        self.photo_url = job.preview_url
        self.phase, self.message, self.progress, self.tasks = "processing", "Processing…", 100, []
        yield
        async for event in self._run_then_follow(job):
            yield event

    async def _run_then_follow(self, job: PhotoJob):
        """Start the workflow on the job's original, then hand over to :meth:`follow_job`."""
        try:
            await photo_jobs.run_workflow(job)
        except FilestackError as err:
            self.photo_url = self.saved_url
            self.phase, self.message = "failed", f"Could not start processing: {err}"
            yield rx.toast.error(self.message)
            return
        yield type(self).follow_job

    @rx.event
    def on_rejected(self, rejections: list[dict]):
        """The browser refused the file (type or size): say why; nothing changes."""
        reasons = [
            error.get("message", "")
            for rejection in rejections or []
            for error in (rejection.get("errors") or [])
        ]
        reason = reasons[0] if reasons else "that file cannot be used"
        self._reject(f"File not accepted: {reason}. Use a JPEG, PNG, WebP, GIF or HEIC image.")
        return rx.toast.error(self.message)

    def _reject(self, message: str) -> None:
        """A file was refused: the current photo stays as it is."""
        self.photo_url = self.saved_url
        self.phase, self.message, self.progress = ("failed" if self.job_id else "idle"), message, 0
        if self.phase == "idle":
            self.phase = "rejected"

    @rx.event
    async def retry(self):
        """Run the workflow again on the original upload of the failed job."""
        job = await asyncio.to_thread(profile_store.get_job, self.job_id)
        if job is None or job.original_deleted:
            yield rx.toast.error("There is nothing to retry: upload the photo again.")
            return
        self.photo_url = job.preview_url or self.saved_url
        self.phase, self.message, self.tasks = "processing", "Processing…", []
        yield
        async for event in self._run_then_follow(job):
            yield event

    @rx.event(background=True, supersedes=True)
    async def follow_job(self):
        """Follow the slot's job until it ends, pushing each task's state to the page."""
        async with self:
            job_id = self.job_id
            client_token = self.router.session.client_token

        async def push(states: dict[str, dict[str, str]]) -> None:
            async with self:
                self.tasks = _task_rows(states)

        redis_url = get_settings().redis_url
        try:
            await follow_leases.remember_client(redis_url, job_id, client_token)
            async with follow_leases.holding(redis_url, job_id, follow_leases.new_owner()):
                job = await photo_jobs.follow(job_id, on_progress=push)
        except (FilestackError, LookupError) as err:
            async with self:
                self.photo_url = self.saved_url
                self.phase, self.message = "failed", f"Lost track of the job: {err}"
            yield rx.toast.error(f"Lost track of the job: {err}")
            return
        async with self:
            if self.job_id != job_id:
                return
            show_result(self, job)
        if job.status == "finished":
            yield ActivityState.refresh
            yield rx.toast.success(f"{photo_jobs.slot_spec(self.slot).label} updated.")
        elif job.status == "failed":
            yield ActivityState.refresh
            yield rx.toast.error(f"Processing failed: {job.error}. Your previous photo is kept.")




def show_result(slot: PhotoSlot, job: PhotoJob) -> None:
    """Show how a job ended in a slot's state: the final photo, or the failure with the previous one kept."""
    slot.tasks = _task_rows(_loads(job.tasks_json))
    if job.status == "finished":
        slot.saved_url = slot.photo_url = job.final_url
        slot.phase, slot.message = "done", "Saved."
    elif job.status == "failed":
        slot.photo_url = slot.saved_url
        slot.phase, slot.message = "failed", job.error or "Processing failed."


def _loads(text: str) -> dict[str, dict[str, str]]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class AvatarState(PhotoSlot, rx.State):
    """The profile picture."""

    slot: ClassVar[str] = "avatar"


class CoverState(PhotoSlot, rx.State):
    """The cover photo."""

    slot: ClassVar[str] = "cover"

