"""ActivityState: the signed-in account's recent photo jobs, with each task's outcome."""

from __future__ import annotations

import asyncio
import json
import time

import reflex as rx

from dashboard import photo_jobs, profile_store
from dashboard.models import JobStatus, PhotoJob, Slot
from dashboard.photo_messages import describe_failure, task_label
from dashboard.settings import get_settings
from dashboard.state.rows import ActivityRow
from dashboard.state.session import SessionState

STATUS_LABELS = {
    JobStatus.UPLOADED: "Uploaded",
    JobStatus.PROCESSING: "Processing",
    JobStatus.FINISHED: "Finished",
    JobStatus.FAILED: "Failed",
    JobStatus.SUPERSEDED: "Replaced by a newer photo",
}


def _duration(created: float, finished: float | None) -> str:
    end = finished if finished is not None else time.time()
    seconds = max(0.0, end - created)
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _workflow_name(workflow_id: str) -> str:
    settings = get_settings()
    names = {
        settings.filestack_profile_workflow_id: "Profile picture",
        settings.filestack_cover_workflow_id: "Cover photo",
    }
    return names.get(workflow_id, workflow_id[:8] or "—")


def _tasks_text(tasks_json: str) -> str:
    try:
        tasks = json.loads(tasks_json or "{}")
    except ValueError:
        return ""
    if not isinstance(tasks, dict):
        return ""
    return ", ".join(
        f"{task_label(str(task_id))}: {info.get('state', '?')}"
        for task_id, info in tasks.items()
        if isinstance(info, dict)
    )


SLOT_NAMES = {Slot.AVATAR: "Profile picture", Slot.COVER: "Cover photo"}
#: What the thumbnail's text alternative says happened to the photo.
STATUS_VERBS = {
    JobStatus.UPLOADED: "uploaded",
    JobStatus.PROCESSING: "processing since",
    JobStatus.FINISHED: "saved",
    JobStatus.FAILED: "failed",
    JobStatus.SUPERSEDED: "replaced",
}


def day_and_time(moment: float) -> str:
    """``29 Nov 2026 14:02`` in the server's local time."""
    local = time.localtime(moment)
    return f"{local.tm_mday} {time.strftime('%b %Y %H:%M', local)}"


def thumb_alt(slot: str, status: JobStatus, created_at: float, finished_at: float | None) -> str:
    """The thumbnail's text alternative: ``Profile picture saved 29 Nov 2026 14:02``."""
    moment = (
        finished_at
        if finished_at is not None and status in (JobStatus.FINISHED, JobStatus.FAILED)
        else created_at
    )
    name = SLOT_NAMES.get(slot, "Photo")  # type: ignore[call-overload]
    return f"{name} {STATUS_VERBS.get(status, status.value)} {day_and_time(moment)}"


def _thumb(job: PhotoJob) -> str:
    """The job's final file, else its kept original's preview; never an expired signed URL from the row."""
    if job.final_handle:
        return photo_jobs.photo_url(job.final_handle)
    if job.status == JobStatus.FAILED and not describe_failure(job.error).retryable:
        return ""  # the kept original is unreadable: no preview of it can be drawn
    if not job.original_deleted and job.original_handle:
        return photo_jobs.preview_url(job.slot, job.original_handle)
    return ""


def activity_row(job: PhotoJob) -> ActivityRow:
    """How one job shows in the panel."""
    status = JobStatus(job.status)
    return ActivityRow(
        id=job.id or 0,
        slot=job.slot,
        slot_label="Avatar" if job.slot == Slot.AVATAR else "Cover",
        filename=job.filename or job.original_handle,
        thumb=_thumb(job),
        workflow=_workflow_name(job.workflow_id),
        status=status.value,
        status_label=STATUS_LABELS.get(status, status.value),
        duration=_duration(job.created_at, job.finished_at),
        tasks=_tasks_text(job.tasks_json),
        error=describe_failure(job.error).text if status == JobStatus.FAILED else "",
        when=time.strftime("%H:%M:%S", time.localtime(job.created_at)),
        can_retry=status == JobStatus.FAILED
        and not job.original_deleted
        and describe_failure(job.error).retryable,
        alt=thumb_alt(job.slot, status, job.created_at, job.finished_at),
    )


class ActivityState(SessionState):
    """The newest photo jobs of the signed-in account first."""

    jobs: list[ActivityRow] = []

    @rx.event
    async def refresh(self):
        """Read the account's recent jobs from the database."""
        account = await self._account()
        if account is None:
            self.jobs = []
            return
        rows = await asyncio.to_thread(profile_store.recent_jobs, account.account_id, 12)
        self.jobs = [activity_row(job) for job in rows]
