"""Test runs from the studio, and following any job, without UI.

A test run stores a photo (one of the samples shipped in ``assets/samples`` or one the
person uploads, checked like a profile photo), starts the workflow on it with
``POST /jobs`` and follows the job with ``GET /jobs/{uuid}`` alone: each task's state,
times and the results of the tasks finished so far.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from dashboard import connection
from dashboard.filestack import FilestackClient, Job, Transformation, WebhookLog
from dashboard.job_views import Observed, observe
from dashboard.photo_checks import check_photo
from dashboard.photo_jobs import photo_url, poll_timing
from dashboard.settings import PROJECT_ROOT, Settings, get_settings

SAMPLES_DIR = PROJECT_ROOT / "assets" / "samples"
#: Where the browser finds the samples (Reflex serves ``assets/`` at the root).
SAMPLES_URL = "/samples"
SAMPLE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
THUMB_SIZE = 160


@dataclass(frozen=True)
class SamplePhoto:
    """A photo shipped for test runs."""

    name: str
    url: str
    label: str


def sample_photos(directory: Path = SAMPLES_DIR) -> list[SamplePhoto]:
    """The sample photos, by name."""
    if not directory.is_dir():
        return []
    return [
        SamplePhoto(
            name=path.name, url=f"{SAMPLES_URL}/{path.name}", label=path.stem.replace("_", " ").capitalize()
        )
        for path in sorted(directory.iterdir())
        if path.suffix.lower() in SAMPLE_SUFFIXES and path.is_file()
    ]


def sample_bytes(name: str, directory: Path = SAMPLES_DIR) -> bytes:
    """The bytes of a sample photo; ``LookupError`` for a name that is not one."""
    if name not in {sample.name for sample in sample_photos(directory)}:
        raise LookupError(f"there is no sample photo {name!r}")
    return (directory / name).read_bytes()


def thumbnail_url(handle: str, settings: Settings | None = None) -> str:
    """A small square preview of a stored file (signed when the page signs photo URLs)."""
    return photo_url(
        handle, settings, Transformation().resize(width=THUMB_SIZE, height=THUMB_SIZE, fit="crop")
    )


async def start_run(
    workflow_id: str, data: bytes, filename: str, settings: Settings | None = None
) -> tuple[str, Job]:
    """Check and store the photo, then start the workflow on it; ``(handle, job)``.

    Raises :class:`~dashboard.photo_checks.RejectedPhoto` for a file that is not a usable
    photo and :class:`~dashboard.filestack.FilestackError` when the service refuses.
    """
    settings = settings or get_settings()
    mimetype = check_photo(data, filename, settings.max_upload_bytes, max_pixels=settings.max_pixels)
    async with connection.open_client(settings) as fs:
        stored = await fs.upload(data, filename=filename, mimetype=mimetype)
        job = await fs.workflows_api.start_job(workflow_id, handle=stored.handle)
    return stored.handle, job


@dataclass
class JobSnapshot:
    """What a follower knows of a job: its record (results so far included) and observed task times."""

    job: Job
    observed: Observed = field(default_factory=dict)
    now: float = 0.0
    timed_out: bool = False


OnSnapshot = Callable[[JobSnapshot], Awaitable[bool]]


async def read_snapshot(
    fs: FilestackClient, job_uuid: str, previous: JobSnapshot | None = None, began: float | None = None
) -> JobSnapshot:
    """The job as it is now, with the results of its finished tasks (one call).

    ``began`` is when this app started the job, if it did (see :func:`~dashboard.job_views.observe`).
    """
    job = await fs.workflows_api.get_job(job_uuid)
    now = time.monotonic()
    observed = observe(previous.observed if previous else {}, job, now, previous.now if previous else began)
    return JobSnapshot(job=job, observed=observed, now=now)


async def follow_job(
    job_uuid: str,
    on_snapshot: OnSnapshot,
    settings: Settings | None = None,
    *,
    started: float | None = None,
) -> JobSnapshot:
    """Read the job until it ends, handing every snapshot to ``on_snapshot``.

    ``started`` is when this app started the job (``time.monotonic()``), if it did.
    ``on_snapshot`` returns ``False`` to stop following. After ``JOB_TIMEOUT_S`` the last
    snapshot is returned with ``timed_out`` set; the job itself goes on in the service.
    """
    settings = settings or get_settings()
    timing = poll_timing(settings)
    began = time.monotonic()
    interval = timing["interval_s"]
    snapshot: JobSnapshot | None = None
    async with connection.open_client(settings) as fs:
        while True:
            snapshot = await read_snapshot(fs, job_uuid, snapshot, started)
            if snapshot.now - began >= timing["timeout_s"] and not snapshot.job.finished:
                snapshot.timed_out = True
            keep_going = await on_snapshot(snapshot)
            if snapshot.job.finished or snapshot.timed_out or not keep_going:
                return snapshot
            await asyncio.sleep(interval)
            interval = min(interval * timing["backoff"], timing["max_interval_s"])


OnWebhooks = Callable[[WebhookLog], Awaitable[bool]]
#: How an attempt that will not be retried (a target the service refuses) is recorded.
REFUSED = "refused: "


def deliveries_settled(log: WebhookLog) -> bool:
    """Whether no more attempts will come: none wanted, delivered, or refused for good."""
    if not log.webhook:
        return True
    return any(a.delivered for a in log.attempts) or any(
        (a.error or "").startswith(REFUSED) for a in log.attempts
    )


async def follow_webhooks(
    fs: FilestackClient, job_uuid: str, on_log: OnWebhooks, settings: Settings | None = None
) -> WebhookLog:
    """Read a finished job's webhook attempts until they settle (or ``JOB_TIMEOUT_S`` passes).

    ``on_log`` gets each new list of attempts and returns ``False`` to stop.
    """
    settings = settings or get_settings()
    timing = poll_timing(settings)
    began = time.monotonic()
    seen = -1
    while True:
        log = await fs.workflows_api.job_webhooks(job_uuid)
        if len(log.attempts) != seen:
            seen = len(log.attempts)
            if not await on_log(log):
                return log
        if deliveries_settled(log) or time.monotonic() - began >= timing["timeout_s"]:
            return log
        await asyncio.sleep(timing["max_interval_s"])
