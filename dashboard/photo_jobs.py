"""The life of a profile photo: upload, instant preview, workflow, final file, original deleted.

No UI here: state handlers call these functions and show what they return. Every
function works for one owner (an account id) and reaches only that owner's rows. Every
step is written to the database first, so a reload or a restart can pick a job up
again, and the steps are safe to repeat: finishing a job twice saves one photo and
deletes the original at most once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypedDict

from dashboard import profile_store, replaced_photos
from dashboard.connection import client_config, open_client
from dashboard.filestack import (
    FilestackClient,
    FilestackError,
    FilestackHTTPError,
    FilestackNotFound,
    StoreResponse,
    Transformation,
    WorkflowFailed,
    WorkflowStatus,
    WorkflowTimeout,
)
from dashboard.filestack_protocol.security import scoped_security
from dashboard.job_events import job_events
from dashboard.models import JobStatus, PhotoJob, Slot
from dashboard.photo_checks import RejectedPhoto, check_photo
from dashboard.photo_framing import Framing, needs_conversion, scaled_to, upright_chain, upright_size
from dashboard.photo_messages import describe_failure
from dashboard.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: Seconds after its upload a photo job without a started workflow is taken for abandoned (its
#: handler starts the workflow right after the upload) and started by another app worker.
UNSTARTED_AFTER_S = 30.0


class TaskState(TypedDict):
    """One workflow task as the job last reported it."""

    state: str
    reason: str


TaskStates = dict[str, TaskState]
OnProgress = Callable[[TaskStates], Awaitable[None]]
#: Called with the job row as soon as the final photo is saved (the original is deleted after it).
OnSaved = Callable[["PhotoJob"], Awaitable[None]]


class UnreadablePhoto(RejectedPhoto):
    """The file passed the header check, but its pixels cannot be read (a damaged photo)."""


class UploadLimitReached(ValueError):
    """The account uploaded as many photos as the window allows; the message says when to try again."""


@dataclass(frozen=True)
class SlotSpec:
    """How one photo slot is previewed and processed."""

    slot: Slot
    label: str
    workflow_id: str
    preview: Transformation


def slot_spec(slot: str, settings: Settings | None = None) -> SlotSpec:
    """The preview transformation and workflow of ``avatar`` or ``cover``."""
    settings = settings or get_settings()
    if slot == Slot.AVATAR:
        return SlotSpec(
            Slot.AVATAR,
            "Profile picture",
            settings.filestack_profile_workflow_id,
            Transformation().resize(width=400, height=400, fit="crop"),
        )
    if slot == Slot.COVER:
        return SlotSpec(
            Slot.COVER,
            "Cover photo",
            settings.filestack_cover_workflow_id,
            Transformation().resize(width=1500, height=500, fit="crop"),
        )
    raise ValueError(f"unknown photo slot {slot!r}")


def storage_path(owner_id: int, slot: str) -> str:
    """Where an owner's uploads are stored (Filestack's ``path`` store option): one folder per account."""
    return f"users/{owner_id}/{Slot(slot)}/"


def _shown_url(handle: str, chain: Transformation, settings: Settings) -> str:
    """``chain`` applied to ``handle``, signed (read, convert; this handle only) when URLs are signed."""
    config = client_config(settings)
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


def photo_url(
    handle: str, settings: Settings | None = None, transformation: Transformation | None = None
) -> str:
    """The URL the page shows for a stored file (through ``transformation``, if any)."""
    return _shown_url(handle, transformation or Transformation(), settings or get_settings())


def preview_url(slot: str, handle: str, settings: Settings | None = None) -> str:
    """The instant preview of an upload: the slot's resize of the original."""
    settings = settings or get_settings()
    return _shown_url(handle, slot_spec(slot, settings).preview, settings)


def task_states(status: WorkflowStatus) -> TaskStates:
    """Each task's state as the job reports it.

    The embedded service reports every task (``tasks``); real Filestack reports only
    results, so a task with a result is done (or failed) and the job is running.
    """
    extra = status.model_extra or {}
    reported = getattr(status, "tasks", None) or extra.get("tasks")
    states: TaskStates = {}
    if isinstance(reported, dict):
        for task_id, info in reported.items():
            if isinstance(info, dict):
                states[str(task_id)] = TaskState(
                    state=str(info.get("state", "pending")), reason=str(info.get("reason") or "")
                )
        return states
    for name, result in status.results.items():
        result_extra = result.model_extra or {}
        if result.failed:
            states[name] = TaskState(state="failed", reason=str(result.error))
        elif result_extra.get("skipped"):
            states[name] = TaskState(state="skipped", reason=str(result_extra.get("reason", "")))
        else:
            states[name] = TaskState(state="done", reason="")
    return states


def check_upload_rate(owner_id: int, settings: Settings, now: float | None = None) -> None:
    """Raise :class:`UploadLimitReached` when the owner used up the window's uploads."""
    now = time.time() if now is None else now
    window = settings.upload_rate_window_s
    recent = sorted(profile_store.uploads_since(owner_id, now - window))
    if len(recent) >= settings.upload_rate_limit:
        wait = recent[-settings.upload_rate_limit] + window - now
        minutes = max(1, int(-(-wait // 60)))
        raise UploadLimitReached(
            f"You have uploaded {settings.upload_rate_limit} photos in the last {window / 60:.0f} minutes, "
            f"the most allowed. Try again in {minutes} min."
        )


async def upload(
    owner_id: int,
    slot: str,
    data: bytes,
    filename: str,
    settings: Settings | None = None,
    framing: Framing | None = None,
) -> PhotoJob:
    """Check the file, upload it under the owner's path and record the job with its instant preview URL.

    With a ``framing`` (the crop dialog's), the framed part is cut out of the upload at the
    CDN and stored as the job's original, and the full upload is deleted: the preview and
    the workflow then both start from exactly what the person framed. A type browsers cannot
    show (HEIC/HEIF) is stored again as an upright JPEG the same way.

    Raises :class:`UploadLimitReached` or :class:`~dashboard.photo_checks.RejectedPhoto` for
    a file the page does not take (nothing is uploaded then) and :class:`FilestackError`
    when the service fails.
    """
    settings = settings or get_settings()
    spec = slot_spec(slot, settings)
    await asyncio.to_thread(check_upload_rate, owner_id, settings)
    mimetype = check_photo(data, filename, settings.max_upload_bytes, max_pixels=settings.max_pixels)
    async with open_client(settings) as fs:
        stored = await fs.upload(
            data, filename=filename, mimetype=mimetype, path=storage_path(owner_id, slot)
        )
        if framing is not None or needs_conversion(mimetype):
            stored = await store_cut(
                fs, stored.handle, framing, mimetype, upright_size(data), storage_path(owner_id, slot)
            )
    return await record_job(owner_id, spec.slot, stored.handle, filename, settings)


async def record_job(owner_id: int, slot: str, handle: str, filename: str, settings: Settings) -> PhotoJob:
    """Record the job of a stored original, with its instant preview URL."""
    preview = preview_url(slot, handle, settings)
    return await asyncio.to_thread(profile_store.add_job, owner_id, Slot(slot), handle, filename, preview)


async def store_cut(
    fs: FilestackClient,
    handle: str,
    framing: Framing | None,
    mimetype: str,
    size: tuple[int, int],
    path: str,
) -> StoreResponse:
    """Store the framed part of the uploaded file ``handle`` (upright ``size``; as a JPEG when
    browsers cannot show its type) as a new file under ``path``, then delete the upload."""
    if framing is not None:
        framing = scaled_to(framing, *size)
    chain = (upright_chain(framing, mimetype) or Transformation().rotate("exif")).store(
        location="s3", path=path
    )
    try:
        framed = await fs.store_transformation(handle, chain)
    except FilestackHTTPError as err:
        await forget(fs, handle)
        if 400 <= err.status < 500 and err.status not in (401, 403, 404, 429):
            raise UnreadablePhoto(describe_failure("corrupt").text) from err
        raise
    except FilestackError:
        await forget(fs, handle)
        raise
    await forget(fs, handle)
    return framed


async def forget(fs: FilestackClient, handle: str) -> None:
    """Delete an upload nothing will use; a failure is logged (the file is the owner's, under their path)."""
    try:
        await fs.delete(handle)
    except FilestackNotFound:
        pass
    except FilestackError as err:
        log.warning("upload %s not deleted after framing: %s", handle, err)


async def run_workflow(job: PhotoJob, settings: Settings | None = None) -> PhotoJob:
    """Start (or start again) the slot's workflow on the job's original upload."""
    settings = settings or get_settings()
    spec = slot_spec(job.slot, settings)
    owner_id, photo_job_id = _ids(job)
    try:
        async with open_client(settings) as fs:
            run = await fs.run_workflow(spec.workflow_id, job.original_handle)
    except FilestackError as err:
        await asyncio.to_thread(
            profile_store.update_job,
            owner_id,
            photo_job_id,
            status=JobStatus.FAILED,
            error=f"could not start the workflow: {err}",
        )
        raise
    # A newer photo replaced this one while its workflow was being started: it stays replaced
    # (the workflow's id is kept so that what it stores is deleted once it ends).
    current = await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id)
    replaced = current is not None and current.status == JobStatus.SUPERSEDED
    return await asyncio.to_thread(
        profile_store.update_job,
        owner_id,
        photo_job_id,
        jobid=run.jobid,
        workflow_id=spec.workflow_id,
        status=JobStatus.SUPERSEDED if replaced else JobStatus.PROCESSING,
        error="",
        tasks={},
        finished_at=None,
    )


def _ids(job: PhotoJob) -> tuple[int, int]:
    if job.owner_id is None or job.id is None:
        raise LookupError("photo job has no owner or no id")
    return job.owner_id, job.id


def poll_timing(settings: Settings) -> dict[str, float]:
    """How often to ask about a job: with job events only as a slow fallback for a lost one,
    else briskly on the embedded service and gently on Filestack."""
    if settings.job_events:
        first = settings.job_fallback_poll_s
        return {
            "interval_s": first,
            "backoff": 1.5,
            "max_interval_s": 5 * first,
            "timeout_s": settings.job_timeout_s,
        }
    if settings.embedded:
        return {"interval_s": 0.2, "backoff": 1.3, "max_interval_s": 1.0, "timeout_s": settings.job_timeout_s}
    return {"interval_s": 2.0, "backoff": 1.5, "max_interval_s": 10.0, "timeout_s": settings.job_timeout_s}


async def follow(
    owner_id: int,
    photo_job_id: int,
    on_progress: OnProgress | None = None,
    settings: Settings | None = None,
    on_saved: OnSaved | None = None,
) -> PhotoJob:
    """Wait for the owner's job to end and finish it; return the job row as it ends.

    ``on_saved`` hears the finished row as soon as the final photo is saved, so a page shows
    it without waiting for the original's deletion.

    A failed or timed-out job is recorded as failed with its reason: the previous photo
    and the original upload both stay, so nothing is lost and a retry can run again.
    """
    settings = settings or get_settings()
    job = await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id)
    if job is None:
        raise LookupError(f"photo job {photo_job_id} not found")
    if job.status != JobStatus.PROCESSING or not job.workflow_job_id:
        return job
    last: TaskStates = {}

    async def report(status: WorkflowStatus) -> None:
        nonlocal last
        states = task_states(status)
        if states != last:
            last = states
            if not (status.finished or status.failed):  # at the end, the tasks go with the row's end
                await asyncio.to_thread(profile_store.update_job, owner_id, photo_job_id, tasks=states)
            if on_progress is not None:
                await on_progress(states)

    try:
        # Watching before the first read: an event that comes while reading is kept.
        with job_events(settings.redis_url).watch(job.workflow_job_id) as watch:
            async with open_client(settings) as fs:
                status = await fs.wait_for_job(
                    job.workflow_job_id,
                    on_update=report,
                    wake=watch.changed if settings.job_events else None,
                    **poll_timing(settings),
                )
        current = await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id)
        if current is None:
            # The account was deleted while its job ran: what the job stored goes too.
            await delete_files([f.handle for f in status.stored_files() if f.handle], settings)
            raise LookupError(f"photo job {photo_job_id} was deleted while it ran")
    except WorkflowFailed as err:
        return await _fail(owner_id, photo_job_id, _failure_text(err.job), task_states(err.job))
    except WorkflowTimeout as err:
        return await _fail(
            owner_id, photo_job_id, f"the workflow did not finish within {err.waited_s:.0f} s", last
        )
    except FilestackNotFound:
        return await _fail(owner_id, photo_job_id, "the workflow job is gone from the service", last)
    return await finish(owner_id, photo_job_id, status, settings, on_saved, job=current)


def _failure_text(status: WorkflowStatus) -> str:
    extra = status.model_extra or {}
    if extra.get("error"):
        return str(extra["error"])
    errors = status.errors()
    if errors:
        name, error = next(iter(errors.items()))
        return f"task '{name}' failed: {error}"
    return "the workflow failed"


async def _fail(owner_id: int, photo_job_id: int, reason: str, states: TaskStates) -> PhotoJob:
    return await asyncio.to_thread(
        profile_store.update_job,
        owner_id,
        photo_job_id,
        status=JobStatus.FAILED,
        error=reason,
        tasks=states,
        finished_at=time.time(),
    )


async def finish(
    owner_id: int,
    photo_job_id: int,
    status: WorkflowStatus,
    settings: Settings | None = None,
    on_saved: OnSaved | None = None,
    *,
    job: PhotoJob | None = None,
) -> PhotoJob:
    """Save the job's final file as the slot's photo, then delete the original.

    The original is deleted only after the final file is saved in the profile, and
    only when the final file is a different file that exists. ``job`` is the row when the
    caller has just read it.
    """
    settings = settings or get_settings()
    if job is None:
        job = await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id)
    if job is None:
        raise LookupError(f"photo job {photo_job_id} not found")
    stored = [f for f in status.stored_files() if f.handle and f.handle != job.original_handle]
    if not stored:
        return await _fail(
            owner_id, photo_job_id, "the workflow finished without storing a file", task_states(status)
        )
    final = ([f for f in stored if f.is_stored] or stored)[-1]
    final_handle = final.handle or ""
    final_url = photo_url(final_handle, settings)
    fields: dict[str, Any] = {
        "status": JobStatus.FINISHED,
        "final_url": final_url,
        "final_handle": final_handle,
        "tasks": task_states(status),
        "error": "",
        "finished_at": time.time(),
    }
    replaced = job.status == JobStatus.SUPERSEDED
    if job.status == JobStatus.PROCESSING:
        latest = await asyncio.to_thread(profile_store.latest_job, owner_id, job.slot)
        if latest is not None and latest.id == job.id:
            # The photo it replaces is kept for the undo window, then deleted (dashboard.photo_undo).
            await asyncio.to_thread(
                replaced_photos.replace_photo,
                owner_id,
                job.slot,
                final_url,
                final_handle,
                settings.photo_undo_window_s,
            )
        else:
            replaced = True
    if replaced:  # a newer photo came first: nothing of this one is kept
        return await discard_replaced(job, [f.handle or "" for f in stored], settings, task_states(status))
    job = await asyncio.to_thread(profile_store.update_job, owner_id, photo_job_id, **fields)
    if on_saved is not None:  # the page shows the photo now; the original is deleted after
        await on_saved(job)
    return await delete_original(job, settings)


async def delete_original(job: PhotoJob, settings: Settings | None = None) -> PhotoJob:
    """Delete the job's original upload (once); a failure is recorded, never raised.

    The row is claimed first with a conditional update, so when several app workers
    finish the same job only one of them sends the delete; it is marked deleted only once
    the service confirmed. A claim whose delete never got through (its worker died between
    the claim and the send, or the service refused) is taken again after a minute by
    :func:`retry_unsent_deletions`.
    """
    owner_id, photo_job_id = _ids(job)
    if job.original_deleted:
        return job
    if not await asyncio.to_thread(profile_store.claim_original_delete, owner_id, photo_job_id):
        return await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id) or job
    try:
        async with open_client(settings or get_settings()) as fs:
            await fs.delete(job.original_handle)
    except FilestackNotFound:
        pass  # already gone: the goal is reached
    except FilestackError as err:
        log.warning("original %s of photo job %s not deleted: %s", job.original_handle, photo_job_id, err)
        return await asyncio.to_thread(
            profile_store.update_job,
            owner_id,
            photo_job_id,
            error=f"the original could not be deleted yet: {err}",
        )
    return await asyncio.to_thread(profile_store.update_job, owner_id, photo_job_id, original_deleted=True)


async def retry_unsent_deletions(settings: Settings | None = None) -> int:
    """Send again every original deletion claimed over a minute ago and never confirmed; how many
    were tried. Each job is handled with its own owner."""
    jobs = await asyncio.to_thread(profile_store.unsent_original_deletions)
    for job in jobs:
        log.info("retrying the deletion of the original of photo job %s", job.id)
        await delete_original(job, settings)
    return len(jobs)


async def discard_replaced(
    job: PhotoJob, outputs: list[str], settings: Settings | None = None, tasks: TaskStates | None = None
) -> PhotoJob:
    """A photo replaced by a newer one before it was saved: delete the files its workflow stored
    (never one the profile shows or keeps for its undo), then its original; the row stays, replaced.
    When a file could not be deleted the original is kept and the sweep tries again later."""
    owner_id, photo_job_id = _ids(job)
    kept = await asyncio.to_thread(replaced_photos.kept_handles, owner_id)
    left = await delete_files([handle for handle in outputs if handle and handle not in kept], settings)
    fields: dict[str, Any] = {"status": JobStatus.SUPERSEDED, "finished_at": time.time()}
    if tasks is not None:
        fields["tasks"] = tasks
    job = await asyncio.to_thread(profile_store.update_job, owner_id, photo_job_id, **fields)
    if left:  # the original stays too, so that the sweep tries the whole job again
        log.warning("files %s of replaced photo job %s not deleted yet", left, photo_job_id)
        return job
    return await delete_original(job, settings)


#: A replaced photo's job is left to its own follower this long before the sweep clears it.
REPLACED_SWEEP_AFTER_S = 60.0


async def clear_replaced_leftovers(
    settings: Settings | None = None, *, older_than_s: float = REPLACED_SWEEP_AFTER_S
) -> int:
    """Clear the photos replaced before they ended whose follower is gone (the page closed, the app
    restarted): once a job's workflow has ended, what it stored and the original are deleted. A
    workflow still running is looked at again on a later sweep. Returns how many were cleared."""
    settings = settings or get_settings()
    jobs = await asyncio.to_thread(profile_store.superseded_leftovers, older_than_s)
    if not jobs:
        return 0
    ended: list[tuple[PhotoJob, list[str]]] = []
    async with open_client(settings) as fs:
        for job in jobs:
            outputs: list[str] = []
            try:
                if job.workflow_job_id:
                    status = await fs.workflow_status(job.workflow_job_id)
                    if not (status.finished or status.failed):
                        continue
                    outputs = [
                        f.handle
                        for f in status.stored_files()
                        if f.handle and f.handle != job.original_handle
                    ]
            except FilestackNotFound:
                pass  # the service forgot the workflow job: only the original is left to delete
            except FilestackError as err:
                log.warning("replaced photo job %s not cleared yet: %s", job.id, err)
                continue
            ended.append((job, outputs))
    for job, outputs in ended:
        await discard_replaced(job, outputs, settings)
    return len(ended)


def is_unstarted(job: PhotoJob, now: float | None = None, grace_s: float = UNSTARTED_AFTER_S) -> bool:
    """An upload whose workflow was never started, more than ``grace_s`` ago (the handler starts
    it right after the upload, so by then the handler is gone)."""
    at = time.time() if now is None else now
    return job.status == JobStatus.UPLOADED and not job.workflow_job_id and at - job.created_at > grace_s


async def start_unstarted(
    job: PhotoJob, settings: Settings | None = None, *, grace_s: float = UNSTARTED_AFTER_S
) -> PhotoJob | None:
    """Start the workflow of an upload whose handler died before starting it; ``None`` if someone
    else started it meanwhile."""
    owner_id, photo_job_id = _ids(job)
    current = await asyncio.to_thread(profile_store.get_job, owner_id, photo_job_id)
    if current is None or not is_unstarted(current, grace_s=grace_s):
        return None
    log.info("starting the workflow of photo job %s, whose upload handler did not", photo_job_id)
    return await run_workflow(current, settings)


async def delete_files(handles: list[str], settings: Settings | None = None) -> list[str]:
    """Delete files through the client; returns the handles that could not be deleted (a 404 counts as done)."""
    left: list[str] = []
    if not handles:
        return left
    async with open_client(settings or get_settings()) as fs:
        for handle in dict.fromkeys(handles):
            try:
                await fs.delete(handle)
            except FilestackNotFound:
                continue
            except FilestackError as err:
                log.warning("file %s not deleted: %s", handle, err)
                left.append(handle)
    return left


async def delete_everything_of(owner_id: int, settings: Settings | None = None) -> None:
    """Delete every file the owner has (photos, finals, kept originals) through the client, then their rows.

    Raises :class:`FilestackError` naming what is left when a file could not be deleted;
    the rows stay then, so trying again finds the same files.
    """
    handles = await asyncio.to_thread(profile_store.owned_handles, owner_id)
    left = await delete_files(handles, settings)
    if left:
        raise FilestackError(f"{len(left)} file(s) could not be deleted; nothing else was removed, try again")
    await asyncio.to_thread(profile_store.delete_owner_rows, owner_id)


async def resume_open_jobs(settings: Settings | None = None) -> int:
    """Follow every job left processing (after a restart), each with its own owner, after starting
    the uploads whose workflow never started and retrying unsent deletions; returns how many."""
    settings = settings or get_settings()
    for job in await asyncio.to_thread(profile_store.open_jobs_of_everyone):
        if is_unstarted(job, grace_s=0):  # one process: no handler of before the restart is alive
            try:
                await start_unstarted(job, settings, grace_s=0)
            except (FilestackError, LookupError) as err:
                log.warning("could not start the workflow of photo job %s: %s", job.id, err)
    await retry_unsent_deletions(settings)
    jobs = await asyncio.to_thread(profile_store.open_jobs_of_everyone)
    jobs = [job for job in jobs if job.status == JobStatus.PROCESSING and job.workflow_job_id]
    results = await asyncio.gather(
        *(follow(*_ids(job), settings=settings) for job in jobs), return_exceptions=True
    )
    for job, result in zip(jobs, results):
        if isinstance(result, BaseException):
            log.warning("could not resume photo job %s of account %s: %s", job.id, job.owner_id, result)
    return len(jobs)
