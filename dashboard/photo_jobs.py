"""The life of a profile photo: upload, instant preview, workflow, final file, original deleted.

No UI here: state handlers call these functions and show what they return. Every
step is written to the database first, so a reload or a restart can pick a job up
again, and the steps are safe to repeat: finishing a job twice saves one photo and
deletes the original at most once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any, Awaitable, Callable

from dashboard import profile_store
from dashboard.connection import client_config, open_client
from dashboard.filestack_protocol.security import scoped_security
from dashboard.filestack import (
    FilestackError,
    FilestackNotFound,
    Transformation,
    WorkflowFailed,
    WorkflowStatus,
    WorkflowTimeout,
)
from dashboard.models import PhotoJob
from dashboard.photo_checks import check_photo
from dashboard.settings import Settings, get_settings

log = logging.getLogger(__name__)

TaskStates = dict[str, dict[str, str]]
OnProgress = Callable[[TaskStates], Awaitable[None]]


@dataclass(frozen=True)
class SlotSpec:
    """How one photo slot is previewed and processed."""

    slot: str
    label: str
    workflow_id: str
    preview: Transformation


def slot_spec(slot: str, settings: Settings | None = None) -> SlotSpec:
    """The preview transformation and workflow of ``avatar`` or ``cover``."""
    settings = settings or get_settings()
    if slot == "avatar":
        return SlotSpec(
            "avatar",
            "Profile picture",
            settings.filestack_profile_workflow_id,
            Transformation().resize(width=400, height=400, fit="crop"),
        )
    if slot == "cover":
        return SlotSpec(
            "cover",
            "Cover photo",
            settings.filestack_cover_workflow_id,
            Transformation().resize(width=1500, height=500, fit="crop"),
        )
    raise ValueError(f"unknown photo slot {slot!r}")


def photo_url(
    handle: str, settings: Settings | None = None, transformation: Transformation | None = None
) -> str:
    """The URL the page shows for a stored file (through ``transformation``), signed when
    ``SECURE_URLS`` is on."""
    settings = settings or get_settings()
    config = client_config(settings)
    chain = transformation or Transformation()
    if settings.sign_urls and config.app_secret is not None:
        chain = chain.security(
            scoped_security(
                config.app_secret.get_secret_value(),
                calls=["read", "convert"],
                handle=handle,
                ttl_seconds=config.policy_ttl_s,
            )
        )
    return chain.url(handle, cdn_url=config.cdn_url)


def task_states(status: WorkflowStatus) -> TaskStates:
    """Each task's state as the job reports it.

    The embedded service reports every task (``tasks``); real Filestack reports only
    results, so a task with a result is done (or failed) and the job is running.
    """
    extra = status.model_extra or {}
    reported = extra.get("tasks")
    states: TaskStates = {}
    if isinstance(reported, dict):
        for task_id, info in reported.items():
            if isinstance(info, dict):
                states[str(task_id)] = {
                    "state": str(info.get("state", "pending")),
                    "reason": str(info.get("reason") or ""),
                }
        return states
    for name, result in status.results.items():
        if result.failed:
            states[name] = {"state": "failed", "reason": str(result.error)}
        elif (result.model_extra or {}).get("skipped"):
            states[name] = {"state": "skipped", "reason": str((result.model_extra or {}).get("reason", ""))}
        else:
            states[name] = {"state": "done", "reason": ""}
    return states


async def upload(slot: str, data: bytes, filename: str, settings: Settings | None = None) -> PhotoJob:
    """Check the file, upload it and record the job with its instant preview URL.

    Raises :class:`~dashboard.photo_checks.RejectedPhoto` for a file the page does not
    take (nothing is uploaded then) and :class:`FilestackError` when the service fails.
    """
    settings = settings or get_settings()
    spec = slot_spec(slot, settings)
    mimetype = check_photo(data, filename, settings.max_upload_bytes, max_pixels=settings.max_pixels)
    async with open_client(settings) as fs:
        stored = await fs.upload(data, filename=filename, mimetype=mimetype)
        preview = fs.transform_url(stored.handle, spec.preview, sign=settings.sign_urls)
    return await asyncio.to_thread(profile_store.add_job, slot, stored.handle, filename, preview)


async def run_workflow(job: PhotoJob, settings: Settings | None = None) -> PhotoJob:
    """Start (or start again) the slot's workflow on the job's original upload."""
    settings = settings or get_settings()
    spec = slot_spec(job.slot, settings)
    try:
        async with open_client(settings) as fs:
            run = await fs.run_workflow(spec.workflow_id, job.original_handle)
    except FilestackError as err:
        await asyncio.to_thread(
            profile_store.update_job, job.id, status="failed", error=f"could not start the workflow: {err}"
        )
        raise
    return await asyncio.to_thread(
        profile_store.update_job,
        job.id,
        jobid=run.jobid,
        workflow_id=spec.workflow_id,
        status="processing",
        error="",
        tasks={},
        finished_at=None,
    )


def poll_timing(settings: Settings) -> dict[str, float]:
    """How often to ask about a job: briskly on the embedded service, gently on Filestack."""
    if settings.embedded:
        return {"interval_s": 0.2, "backoff": 1.3, "max_interval_s": 1.0, "timeout_s": settings.job_timeout_s}
    return {"interval_s": 2.0, "backoff": 1.5, "max_interval_s": 10.0, "timeout_s": settings.job_timeout_s}


async def follow(job_id: int, on_progress: OnProgress | None = None, settings: Settings | None = None) -> PhotoJob:
    """Wait for the job to end and finish it; return the job row as it ends.

    A failed or timed-out job is recorded as failed with its reason: the previous photo
    and the original upload both stay, so nothing is lost and a retry can run again.
    """
    settings = settings or get_settings()
    job = await asyncio.to_thread(profile_store.get_job, job_id)
    if job is None:
        raise LookupError(f"photo job {job_id} not found")
    if job.status != "processing" or not job.jobid:
        return job
    last: TaskStates = {}

    async def report(status: WorkflowStatus) -> None:
        nonlocal last
        states = task_states(status)
        if states != last:
            last = states
            await asyncio.to_thread(profile_store.update_job, job_id, tasks=states)
            if on_progress is not None:
                await on_progress(states)

    try:
        async with open_client(settings) as fs:
            status = await fs.wait_for_job(job.jobid, on_update=report, **poll_timing(settings))
    except WorkflowFailed as err:
        return await _fail(job_id, _failure_text(err.job), task_states(err.job))
    except WorkflowTimeout as err:
        return await _fail(job_id, f"the workflow did not finish within {err.waited_s:.0f} s", last)
    except FilestackNotFound:
        return await _fail(job_id, "the workflow job is gone from the service", last)
    return await finish(job_id, status, settings)


def _failure_text(status: WorkflowStatus) -> str:
    extra = status.model_extra or {}
    if extra.get("error"):
        return str(extra["error"])
    errors = status.errors()
    if errors:
        name, error = next(iter(errors.items()))
        return f"task '{name}' failed: {error}"
    return "the workflow failed"


async def _fail(job_id: int, reason: str, states: TaskStates) -> PhotoJob:
    return await asyncio.to_thread(
        profile_store.update_job,
        job_id,
        status="failed",
        error=reason,
        tasks=states,
        finished_at=time.time(),
    )


async def finish(job_id: int, status: WorkflowStatus, settings: Settings | None = None) -> PhotoJob:
    """Save the job's final file as the slot's photo, then delete the original.

    The original is deleted only after the final file is saved in the profile, and
    only when the final file is a different file that exists.
    """
    settings = settings or get_settings()
    job = await asyncio.to_thread(profile_store.get_job, job_id)
    if job is None:
        raise LookupError(f"photo job {job_id} not found")
    stored = [f for f in status.stored_files() if f.handle and f.handle != job.original_handle]
    if not stored:
        return await _fail(job_id, "the workflow finished without storing a file", task_states(status))
    final = ([f for f in stored if f.is_stored] or stored)[-1]
    final_url = photo_url(final.handle or "", settings)
    fields: dict[str, Any] = {
        "status": "finished",
        "final_url": final_url,
        "final_handle": final.handle,
        "tasks": task_states(status),
        "error": "",
        "finished_at": time.time(),
    }
    if job.status == "processing":
        latest = await asyncio.to_thread(profile_store.latest_job, job.slot)
        if latest is not None and latest.id == job.id:
            await asyncio.to_thread(profile_store.set_photo, job.slot, final_url, final.handle or "")
        else:
            fields["status"] = "superseded"
    job = await asyncio.to_thread(profile_store.update_job, job_id, **fields)
    return await delete_original(job, settings)


async def delete_original(job: PhotoJob, settings: Settings | None = None) -> PhotoJob:
    """Delete the job's original upload (once); a failure is recorded, never raised.

    The row is claimed first with a conditional update, so when several app workers
    finish the same job only one of them sends the delete.
    """
    if job.original_deleted:
        return job
    if not await asyncio.to_thread(profile_store.claim_original_delete, job.id):
        return await asyncio.to_thread(profile_store.get_job, job.id) or job
    try:
        async with open_client(settings or get_settings()) as fs:
            await fs.delete(job.original_handle)
    except FilestackNotFound:
        pass  # already gone: the goal is reached
    except FilestackError as err:
        log.warning("original %s of job %s not deleted: %s", job.original_handle, job.id, err)
        await asyncio.to_thread(profile_store.claim_original_delete, job.id, False)
        return await asyncio.to_thread(
            profile_store.update_job, job.id, error=f"the original could not be deleted yet: {err}"
        )
    return await asyncio.to_thread(profile_store.update_job, job.id, original_deleted=True)


async def resume_open_jobs(settings: Settings | None = None) -> int:
    """Follow every job left processing (after a restart) to its end; returns how many."""
    settings = settings or get_settings()
    jobs = [job for slot in ("avatar", "cover") if (job := await asyncio.to_thread(profile_store.open_job, slot))]
    results = await asyncio.gather(*(follow(job.id, settings=settings) for job in jobs), return_exceptions=True)
    for job, result in zip(jobs, results):
        if isinstance(result, BaseException):
            log.warning("could not resume photo job %s: %s", job.id, result)
    return len(jobs)
