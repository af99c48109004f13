"""AvatarState and CoverState: one photo slot each, from upload to the final stored file.

Both share :class:`PhotoSlot`, a state mixin: each slot gets its own copy of the vars
and handlers. Every handler takes the account from the session, never from the event,
and reaches only that account's jobs. The job's truth lives in the database and the
service's job store; the background task only follows it and pushes what it sees into
the page.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import ClassVar

import reflex as rx

from dashboard import follow_leases, photo_jobs, photo_links, photo_undo, profile_store, retry_limit
from dashboard.accounts import store
from dashboard.filestack import FilestackError
from dashboard.models import JobStatus, PhotoJob, Slot
from dashboard.photo_checks import RejectedPhoto
from dashboard.photo_framing import FramingRejected, parse_framing
from dashboard.photo_messages import describe_failure, refusal_message, task_label
from dashboard.settings import get_settings
from dashboard.slot_phase import SlotEvent, SlotPhase, advance
from dashboard.state.activity import ActivityState
from dashboard.state.photo_undo import PhotoUndoState
from dashboard.state.rows import TaskRow
from dashboard.state.session import SessionState

log = logging.getLogger(__name__)

TASK_STATE_LABELS = {
    "pending": "queued",
    "running": "running",
    "done": "done",
    "skipped": "skipped",
    "failed": "failed",
}


def task_rows(states: photo_jobs.TaskStates | dict) -> list[TaskRow]:
    """The chips of a job's tasks."""
    rows = []
    for task_id, info in states.items():
        state = str(info.get("state", ""))
        rows.append(
            TaskRow(
                id=task_label(str(task_id)),
                state=TASK_STATE_LABELS.get(state, state),
                reason=str(info.get("reason", "")),
            )
        )
    return rows


def _loads(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


class PhotoSlot(rx.State, mixin=True):
    """What the page shows for one photo slot, and the handlers that change it."""

    slot: ClassVar[Slot]

    #: What the <img> shows: the saved photo, or the preview while processing.
    photo_url: str = ""
    phase: str = SlotPhase.IDLE
    message: str = ""
    progress: int = 0
    tasks: list[TaskRow] = []
    #: A failed job whose original is kept: its workflow can run again.
    can_retry: bool = False
    #: The profile's saved photo, shown again if a job fails (backend only).
    _saved_url: str = ""
    #: The photo job (database row) this slot shows (backend only).
    _photo_job_id: int = 0
    #: The browser's latest choice whose upload was handled (its local preview is then stale).
    _handled_pick: int = 0

    @rx.var
    def busy(self) -> bool:
        """True while a file is uploading or being processed."""
        return SlotPhase(self.phase).busy

    def _move(self, event: SlotEvent, message: str) -> None:
        self.phase = advance(self.phase, event)
        self.message = message

    @rx.event
    async def load_slot(self):
        """Show the saved photo, and pick up a job still processing (after a reload)."""
        account = await self._account()
        self._photo_job_id, self.tasks, self.can_retry, self.progress = 0, [], False, 0
        self._saved_url = self.photo_url = ""
        self._move(SlotEvent.LOADED, "")
        if account is None:
            return
        owner = account.account_id
        profile = await asyncio.to_thread(profile_store.find_profile, owner)
        handle = getattr(profile, f"{self.slot}_handle") if profile else ""
        self._saved_url = self.photo_url = photo_jobs.photo_url(handle) if handle else ""
        job = await asyncio.to_thread(profile_store.latest_job, owner, self.slot)
        if job is None:
            return
        self._photo_job_id = job.id or 0
        if job.job_status.is_open and job.workflow_job_id:
            self.photo_url = photo_jobs.preview_url(self.slot, job.original_handle)
            self._move(SlotEvent.PROCESSING, "Processing…")
            self.tasks = task_rows(_loads(job.tasks_json))
            return type(self).follow_job
        if job.status == JobStatus.FAILED and not job.dismissed:
            show_job_end(self, job)

    @rx.event
    def on_progress(self, progress: dict, pick: int = 0):
        """Upload progress from the browser: ``{"loaded", "total", "progress"}`` of the upload of the
        browser's ``pick``. Progress that arrives after its upload was handled is old news: the
        upload (over HTTP) can end before its last progress events (over the websocket) are read."""
        if pick and int(pick) <= self._handled_pick:
            return
        fraction = float(progress.get("progress") or 0)
        self.progress = max(0, min(100, round(fraction * 100)))
        if self.progress < 100:
            # A new file on its way: shown even over a photo still processing (the last one chosen wins).
            self._move(SlotEvent.SENDING, f"Uploading… {self.progress}%")

    @rx.event
    def show_local(self, shown: dict):
        """Show the browser's own copy of the photo being sent (``{"url": "blob:…", "pick": n}``) until
        the upload ends; a copy arriving after its upload was handled is ignored."""
        url, pick = str((shown or {}).get("url") or ""), int((shown or {}).get("pick") or 0)
        if url.startswith("blob:") and pick > self._handled_pick:
            self.photo_url, self.progress = url, 0
            self._move(SlotEvent.SENDING, "Uploading… 0%")

    @rx.event
    async def handle_upload(self, files: list[rx.UploadFile], framing: str = "", pick: int = 0):
        """Store the chosen file under the account (cut to its ``framing``, the crop dialog's, if any),
        show its preview at once, then run the workflow. ``pick`` numbers the browser's choice."""
        self._handled_pick = max(self._handled_pick, int(pick or 0))
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
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
            frame = parse_framing(framing)
            job = await photo_jobs.upload(account.account_id, self.slot, data, filename, framing=frame)
        except photo_jobs.UnreadablePhoto as err:
            self._reject(f"{err} Your previous photo is kept." if self._saved_url else str(err))
            yield rx.toast.error(self.message)
            return
        except (RejectedPhoto, FramingRejected, photo_jobs.UploadLimitReached) as err:
            self._reject(str(err))
            yield rx.toast.error(str(err))
            return
        except FilestackError as err:
            log.warning("upload of account %s to slot %s failed: %s", account.account_id, self.slot, err)
            self.photo_url, self.progress, self.can_retry = self._saved_url, 0, False
            self._move(
                SlotEvent.FAILED,
                "The photo could not be uploaded: the photo service did not answer. Try again.",
            )
            yield rx.toast.error(self.message)
            return
        async for event in self._started(job):
            yield event

    async def _started(self, job: PhotoJob):
        """A new job's original is stored: show its preview, run its workflow, follow it."""
        self._photo_job_id = job.id or 0
        await follow_leases.remember_client(
            get_settings().redis_url, self._photo_job_id, self.router.session.client_token
        )
        self.photo_url = job.preview_url
        self.progress, self.tasks, self.can_retry = 100, [], False
        self._move(SlotEvent.PROCESSING, "Processing…")
        yield
        async for event in self._run_then_follow(job):
            yield event

    async def _run_then_follow(self, job: PhotoJob):
        """Start the workflow on the job's original, then hand over to :meth:`follow_job`."""
        try:
            await photo_jobs.run_workflow(job)
        except FilestackError as err:
            self.photo_url = self._saved_url
            log.warning("photo job %s did not start: %s", job.id, err)
            self.can_retry = True
            self._move(
                SlotEvent.FAILED, describe_failure("could not start").said_in_slot(bool(self._saved_url))
            )
            yield rx.toast.error(self.message)
            return
        yield type(self).follow_job

    @rx.event
    async def take_from_link(self, form: dict):
        """Store the photo a link names (the file service fetches it), then process it like an upload."""
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        self.progress, self.tasks, self.can_retry = 0, [], False
        self._move(SlotEvent.FETCHING, "Taking the photo from the link…")
        yield
        try:
            job = await photo_links.store_from_link(account.account_id, self.slot, str(form.get("url") or ""))
        except (photo_links.LinkRefused, photo_jobs.UploadLimitReached) as err:
            self._reject(str(err))
            return
        self._photo_job_id = job.id or 0
        await follow_leases.remember_client(
            get_settings().redis_url, self._photo_job_id, self.router.session.client_token
        )
        self.photo_url = job.preview_url
        self.progress = 100
        self._move(SlotEvent.PROCESSING, "Processing…")
        yield rx.set_value(f"{self.slot}-url", "")
        async for event in self._run_then_follow(job):
            yield event

    @rx.event
    async def remove_photo(self):
        """Back to the placeholder; the photo is kept for the undo window, then deleted."""
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        if self.busy:
            return
        try:
            await photo_undo.remove(account.account_id, self.slot)
        except photo_undo.NothingToRemove as err:
            self._move(SlotEvent.LOADED, str(err))
            return
        self._saved_url = self.photo_url = ""
        self.tasks, self.can_retry = [], False
        self._move(SlotEvent.REMOVED, "Photo removed.")
        yield PhotoUndoState.offer(self.slot, f"{photo_jobs.slot_spec(self.slot).label} removed.")

    def show_undone(self, url: str) -> None:
        """The slot after Undo: the photo put back (or the placeholder)."""
        self._saved_url = self.photo_url = url
        self.tasks, self.can_retry = [], False
        self._move(SlotEvent.UNDONE, "Undone: the previous photo is back." if url else "Undone.")

    @rx.event
    def on_rejected(self, rejections: list[dict]):
        """The browser refused the file (type or size): say why; nothing changes.

        Only a summary of each file crosses the websocket (``name``, ``size``, ``type``, ``codes``:
        see ``components/photo_controls.py``), never the file itself.
        """
        first = (rejections or [{}])[0]
        self._reject(
            refusal_message(first if isinstance(first, dict) else {}, get_settings().max_upload_bytes)
        )
        return rx.toast.error(self.message)

    def _reject(self, message: str) -> None:
        """A file was refused before upload: the current photo stays; there is nothing to retry."""
        self.photo_url = self._saved_url
        self.progress = 0
        self.can_retry = False
        self._move(SlotEvent.REJECTED, message)

    @rx.event
    def cancel_upload(self):
        """The person cancelled the upload running in the browser (which the page has aborted)."""
        if self.phase != SlotPhase.UPLOADING:
            return
        self.photo_url, self.progress = self._saved_url, 0
        self._move(SlotEvent.CANCELLED, "Upload cancelled. Your photo is unchanged.")

    @rx.event
    async def dismiss(self):
        """Hide the slot's failure (also on later visits); the previous photo stays."""
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        if self.phase == SlotPhase.FAILED and self._photo_job_id:
            await asyncio.to_thread(profile_store.dismiss_failed_job, account.account_id, self._photo_job_id)
        self.can_retry, self.tasks = False, []
        self.photo_url = self._saved_url
        self._move(SlotEvent.LOADED, "")
        yield ActivityState.refresh

    @rx.event
    async def retry(self):
        """Run the workflow again on the kept original of the slot's failed job."""
        async for event in self._retry(self._photo_job_id):
            yield event

    @rx.event
    async def retry_job(self, photo_job_id: int):
        """Run the workflow again on the kept original of one of your failed jobs (activity panel)."""
        async for event in self._retry(photo_job_id):
            yield event

    async def _retry(self, photo_job_id: int):
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        job = await asyncio.to_thread(profile_store.get_job, account.account_id, int(photo_job_id or 0))
        if job is None or job.slot != self.slot:
            log.warning(
                "account %s asked to retry photo job %r of slot %s: not theirs or no such job; nothing done",
                account.account_id,
                photo_job_id,
                self.slot,
            )
            yield rx.toast.error("There is nothing to retry: upload the photo again.")
            return
        if (
            job.original_deleted
            or job.status != JobStatus.FAILED
            or not describe_failure(job.error).retryable
        ):
            yield rx.toast.error("There is nothing to retry: choose the photo again, or another one.")
            return
        try:
            await asyncio.to_thread(retry_limit.spend_retry, account.account_id, get_settings())
        except retry_limit.RetryLimitReached as err:
            yield rx.toast.error(str(err))
            return
        self._photo_job_id = job.id or 0
        await follow_leases.remember_client(
            get_settings().redis_url, self._photo_job_id, self.router.session.client_token
        )
        self.photo_url = photo_jobs.preview_url(self.slot, job.original_handle)
        self.tasks, self.can_retry = [], False
        self._move(SlotEvent.PROCESSING, "Processing…")
        yield
        async for event in self._run_then_follow(job):
            yield event

    @rx.event(background=True, supersedes=True)
    async def follow_job(self):
        """Follow the slot's job until it ends, pushing each task's state to the page."""
        async with self:
            photo_job_id = self._photo_job_id
            client_token = self.router.session.client_token
            token = self.session_token
        settings = get_settings()
        account = await asyncio.to_thread(store.resolve_session, token, ttl_s=settings.session_ttl_s)
        if account is None or not photo_job_id:
            return

        async def push(states: photo_jobs.TaskStates) -> None:
            async with self:
                if self._photo_job_id == photo_job_id:
                    self.tasks = task_rows(states)

        async def saved(job: PhotoJob) -> None:  # shown at once; the original is deleted after
            async with self:
                if self._photo_job_id == photo_job_id:
                    show_job_end(self, job)

        try:
            await follow_leases.remember_client(settings.redis_url, photo_job_id, client_token)
            async with follow_leases.holding(settings.redis_url, photo_job_id, follow_leases.new_owner()):
                job = await photo_jobs.follow(
                    account.account_id, photo_job_id, on_progress=push, on_saved=saved
                )
        except (FilestackError, LookupError) as err:
            async with self:
                if self._photo_job_id != photo_job_id:
                    return
                self.photo_url = self._saved_url
                log.warning("lost track of photo job %s: %s", photo_job_id, err)
                self.can_retry = True
                self._move(SlotEvent.FAILED, describe_failure("lost").said_in_slot(bool(self._saved_url)))
            yield rx.toast.error(describe_failure("lost").text)
            return
        async with self:
            if self._photo_job_id != photo_job_id:
                return
            show_job_end(self, job)
        if job.status == JobStatus.FINISHED:
            yield ActivityState.refresh
            yield PhotoUndoState.offer(self.slot, f"{photo_jobs.slot_spec(self.slot).label} saved.")
        elif job.status == JobStatus.FAILED:
            yield ActivityState.refresh
            yield rx.toast.error(describe_failure(job.error).text)


def show_job_end(slot: PhotoSlot, job: PhotoJob) -> None:
    """Show how a job ended in a slot's state: the final photo, or the failure with the previous one kept."""
    if job.status == JobStatus.FINISHED and slot.phase == SlotPhase.UPLOADING:
        # A newer photo is on its way: this one is saved, but the page keeps telling about the newer one.
        slot._saved_url = photo_jobs.photo_url(job.final_handle)
        return
    slot.tasks = task_rows(_loads(job.tasks_json))
    if job.status == JobStatus.FINISHED:
        slot._saved_url = slot.photo_url = photo_jobs.photo_url(job.final_handle)
        slot.can_retry = False
        slot._move(SlotEvent.FINISHED, "Saved.")
    elif job.status == JobStatus.FAILED:
        failure = describe_failure(job.error)
        slot.photo_url = slot._saved_url
        slot.can_retry = failure.retryable and not job.original_deleted
        slot._move(SlotEvent.FAILED, failure.said_in_slot(bool(slot._saved_url)))


class AvatarState(PhotoSlot, SessionState):
    """The profile picture."""

    slot: ClassVar[Slot] = Slot.AVATAR


class CoverState(PhotoSlot, SessionState):
    """The cover photo."""

    slot: ClassVar[Slot] = Slot.COVER


def slot_state_class(slot: str) -> type[PhotoSlot]:
    """The state class of ``avatar`` or ``cover``."""
    return AvatarState if Slot(slot) == Slot.AVATAR else CoverState
