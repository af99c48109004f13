"""ActivityState: the recent photo jobs, with each task's outcome."""

from __future__ import annotations

import asyncio
import json
import time

import reflex as rx

from dashboard import profile_store
from dashboard.settings import get_settings

STATUS_LABELS = {
    "uploaded": "Uploaded",
    "processing": "Processing",
    "finished": "Finished",
    "failed": "Failed",
    "superseded": "Superseded",
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
    return ", ".join(f"{task_id}: {info.get('state', '?')}" for task_id, info in tasks.items())


class ActivityState(rx.State):
    """The newest photo jobs first."""

    jobs: list[dict[str, str]] = []

    @rx.event
    async def refresh(self):
        """Read the recent jobs from the database."""
        rows = await asyncio.to_thread(profile_store.recent_jobs, 12)
        self.jobs = [
            {
                "id": str(job.id),
                "slot": "Avatar" if job.slot == "avatar" else "Cover",
                "filename": job.filename or job.original_handle,
                "thumb": job.final_url or job.preview_url,
                "workflow": _workflow_name(job.workflow_id),
                "status": STATUS_LABELS.get(job.status, job.status),
                "duration": _duration(job.created_at, job.finished_at),
                "tasks": _tasks_text(job.tasks_json),
                "error": job.error,
                "when": time.strftime("%H:%M:%S", time.localtime(job.created_at)),
            }
            for job in rows
        ]
