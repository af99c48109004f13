"""The workflow engine as one object: store, queue, engine, actions, webhooks and the workflow catalogue.

It knows nothing of HTTP: the REST API and the CDN's workflow tasks
(:mod:`dashboard.local_filestack.workflows.api`) and in-process callers use the same
methods -- :meth:`WorkflowService.start_job`, :meth:`~WorkflowService.get_job`,
:meth:`~WorkflowService.job_status`, :meth:`~WorkflowService.wait_for_job`,
:meth:`~WorkflowService.list_jobs`, :meth:`~WorkflowService.cancel_job`,
:meth:`~WorkflowService.replay_job` and the workflow methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.imaging import FaceFinder, Limits
from dashboard.local_filestack.ingest.metadata import CDN_PREFIX
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.storage.aliases import StorageAliases
from dashboard.local_filestack.storage.files import FileNotFound, StoredFile
from dashboard.local_filestack.storage.quarantine import Hold
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.engine.actions import Action, ActionFunction, ActionRegistry
from dashboard.local_filestack.workflows.engine.build import build_engine
from dashboard.local_filestack.workflows.engine.catalog import WorkflowCatalog
from dashboard.local_filestack.workflows.engine.events import JobEventBus, LocalJobEvents
from dashboard.local_filestack.workflows.engine.pool import WorkerPool
from dashboard.local_filestack.workflows.engine.queue import JobQueue
from dashboard.local_filestack.workflows.engine.webhooks import WebhookSender
from dashboard.local_filestack.workflows.model.errors import (
    InvalidSource,
    JobAlreadyFinished,
    JobNotFound,
    NotQuarantined,
    UnknownCursor,
)
from dashboard.local_filestack.workflows.model.jobs import (
    CANCELLED_BY_API,
    JobApi,
    JobFilter,
    JobRecord,
    JobSource,
    JobStatus,
    SourceKind,
    WebhookAttempt,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.model.shipped import load_shipped
from dashboard.local_filestack.workflows.model.triggers import (
    Arrival,
    FileFacts,
    matching_trigger,
    trigger_record,
)
from dashboard.local_filestack.workflows.model.views import cdn_status
from dashboard.local_filestack.workflows.model.workflow import Trigger
from dashboard.local_filestack.workflows.stores.store import JobStore, PurgeResult

logger = logging.getLogger(__name__)

#: How many of the newest jobs are checked at startup for webhook deliveries left unfinished.
WEBHOOK_RESUME_SCAN = 500


class WorkflowService:
    """Everything the workflow engine needs, built from its parts; start it with :meth:`startup`."""

    def __init__(
        self,
        *,
        settings: WorkflowSettings,
        storage: Storage,
        store: JobStore,
        queue: JobQueue,
        app_secret: str,
        limits: Limits,
        fetching: FetchOptions,
        public_url: str | None,
        find_faces: FaceFinder | None,
        registry: ActionRegistry | None = None,
        on_file_deleted: Callable[[str], None] | None = None,
        aliases: StorageAliases | None = None,
        events: JobEventBus | None = None,
    ) -> None:
        self.settings = settings
        #: Job events: a task or a job ended (what followers wait for instead of polling).
        self.events: JobEventBus = events if events is not None else LocalJobEvents()
        self.storage = storage
        self.store = store
        self.queue = queue
        self.public_url = public_url
        self.on_file_deleted = on_file_deleted
        self.pool = WorkerPool(settings.pool_size)
        self.catalog = WorkflowCatalog(store)
        self.webhooks = WebhookSender(
            store=store,
            settings=settings,
            app_secret=app_secret,
            allow_private=fetching.allow_private,
            allowed_hosts=fetching.allowed_hosts,
        )
        self.engine = build_engine(
            settings=settings,
            store=store,
            queue=queue,
            storage=storage,
            pool=self.pool,
            limits=limits,
            fetching=fetching,
            public_url=public_url,
            find_faces=find_faces,
            on_finished=self.webhooks.job_finished,
            registry=registry,
            on_file_deleted=on_file_deleted,
            aliases=aliases,
            events=self.events,
        )
        self.actions = self.engine.registry
        self._janitor: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------

    async def startup(self) -> None:
        """Install the shipped workflows, purge expired jobs, take up unfinished webhook deliveries,
        resume unfinished jobs, start runners."""
        for shipped in load_shipped():  # a shipped definition that does not validate stops the start
            await self.catalog.upsert(shipped.definition, shipped.id)
        await self.purge_expired()
        if self.queue.consumed_here:
            self.pool.warm_up()
        # Before the runners start, so no job this process finishes is taken for an abandoned delivery.
        await self.webhooks.resume(await self.store.list_recent(None, WEBHOOK_RESUME_SCAN))
        await self.events.start()
        await self.engine.start()
        self._janitor = asyncio.create_task(self._purge_periodically(), name="workflow-janitor")

    async def shutdown(self) -> None:
        """Stop runners, webhook deliveries, the janitor and the worker processes; close the store."""
        await self.engine.stop()
        await self.events.stop()
        await self.webhooks.close()
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor
            self._janitor = None
        await asyncio.to_thread(self.pool.shutdown, True, cancel_futures=True)
        await self.store.close()

    async def _purge_periodically(self) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval_s)
            try:
                await self.purge_expired()
            except Exception:  # the janitor keeps going; the next round retries
                logger.exception("purging expired workflow jobs failed")

    async def purge_expired(self) -> PurgeResult:
        """Delete jobs finished more than ``ttl_s`` ago and the temporary files they kept."""
        cutoff = now_ns() - int(self.settings.ttl_s * 1_000_000_000)
        result = await self.store.purge_finished(cutoff)
        for handle in result.temporary_handles:
            deleted = await asyncio.to_thread(self.storage.delete, handle)
            if deleted and self.on_file_deleted is not None:
                await asyncio.to_thread(self.on_file_deleted, handle)
        if result.jobs:
            logger.info("purged %d expired workflow job(s)", result.jobs)
        return result

    # -- jobs --------------------------------------------------------------

    async def start_job(
        self, workflow_id: str, source: str, *, base_url: str | None = None, api: JobApi = JobApi.CDN
    ) -> JobRecord:
        """Queue a job of a workflow on a handle, an http(s) URL or a ``src://`` alias.

        ``base_url`` is the CDN's public base the job's output URLs are built on (default:
        ``EMBEDDED_BASE_URL``'s); ``api`` the API that starts it (it shapes the webhook).

        Raises :class:`~dashboard.local_filestack.workflows.model.errors.WorkflowNotFound`,
        :class:`~dashboard.local_filestack.workflows.model.errors.InvalidSource`,
        :class:`~dashboard.local_filestack.storage.files.FileNotFound` (unknown handle) and
        :class:`~dashboard.local_filestack.workflows.model.errors.QueueFull`.
        """
        workflow = await self.catalog.get(workflow_id)
        try:
            job_source = JobSource.classify(source, api)
        except ValueError as exc:
            raise InvalidSource(str(exc)) from exc
        if job_source.kind is SourceKind.HANDLE:
            await asyncio.to_thread(self.storage.get, job_source.value)
        default_base = f"{self.public_url}{CDN_PREFIX}" if self.public_url else None
        return await self.engine.submit(workflow, job_source, base_url=base_url or default_base)

    async def file_arrived(
        self,
        facts: FileFacts,
        arrival: Arrival,
        *,
        named: list[str] | None = None,
        base_url: str | None = None,
    ) -> list[JobRecord]:
        """The one way a newly stored file starts jobs, whichever path it arrived by.

        Starts the workflows ``named`` at upload time (``store.workflows``) and every
        workflow with an ``upload`` trigger whose constraints hold on the file, each once
        per file: calling again for the same file (a retried request, a restart, another
        process) starts nothing new and answers the jobs started before. Each job records
        what started it (:class:`~dashboard.local_filestack.workflows.model.triggers.JobTrigger`).
        """
        chosen: dict[str, tuple[WorkflowRecord, tuple[int, Trigger] | None]] = {}
        for workflow_id in named or []:
            record = await self.catalog.get(workflow_id)
            chosen.setdefault(str(record.id), (record, None))
        for record in await self.catalog.list():
            if not record.triggers or str(record.id) in chosen:
                continue
            matched = matching_trigger(record.definition(), "upload", facts)
            if matched is not None:
                chosen[str(record.id)] = (record, matched)
        default_base = f"{self.public_url}{CDN_PREFIX}" if self.public_url else None
        jobs: list[JobRecord] = []
        for record, matched in chosen.values():
            trigger = trigger_record(arrival, facts, matched)
            job = await self.engine.submit_on_arrival(record, trigger, base_url=base_url or default_base)
            if job is not None:
                jobs.append(job)
        return jobs

    async def check_workflows(self, workflow_ids: list[str]) -> None:
        """Raise :class:`WorkflowNotFound` unless every id names a workflow."""
        for workflow_id in workflow_ids:
            await self.catalog.get(workflow_id)

    async def get_job(self, job_id: str) -> JobRecord | None:
        """A job, or ``None`` if it does not exist or its TTL ran out."""
        job = await self.store.get_job(job_id)
        if job is None or job.expired(self.settings.ttl_s):
            return None
        return job

    async def job_status(self, job_id: str) -> dict[str, Any] | None:
        """A job as ``workflow_status`` answers it, or ``None``."""
        job = await self.get_job(job_id)
        return cdn_status(job, self.settings.ttl_s) if job is not None else None

    async def wait_for_job(
        self, job_id: str, *, timeout_s: float = 60.0, interval_s: float = 0.05
    ) -> JobRecord:
        """Poll until the job has finished and this process has handled its end (webhook started).

        Raises :class:`TimeoutError` after ``timeout_s`` and :class:`LookupError` if the job is gone.
        """
        async with asyncio.timeout(timeout_s):
            while True:
                job = await self.get_job(job_id)
                if job is None:
                    raise LookupError(f"job {job_id!r} not found")
                if job.status.finished:
                    await self.engine.ended(job_id)
                    return job
                await asyncio.sleep(interval_s)

    async def list_recent_jobs(self, workflow_id: str | None = None, limit: int = 20) -> list[JobRecord]:
        """The newest jobs (of one workflow, if given), newest first; expired ones left out."""
        jobs = await self.store.list_recent(workflow_id, limit)
        return [job for job in jobs if not job.expired(self.settings.ttl_s)]

    async def list_jobs(
        self,
        *,
        workflow_id: str | None = None,
        status: JobStatus | None = None,
        created_from: int | None = None,
        created_before: int | None = None,
        after: str | None = None,
        limit: int = 20,
    ) -> list[JobRecord]:
        """Jobs newest first (by creation time, then uuid), filtered; ``after`` is the uuid of the
        last job of the previous page (:class:`UnknownCursor` if it cannot be listed any more)."""
        older_than: tuple[int, str] | None = None
        if after is not None:
            cursor = await self.get_job(after)
            if cursor is None:
                raise UnknownCursor(after)
            older_than = (cursor.created_at, cursor.id)
        cutoff = now_ns() - int(self.settings.ttl_s * 1_000_000_000)
        return await self.store.list_jobs(
            JobFilter(
                workflow_id=workflow_id,
                status=status,
                created_from=created_from,
                created_before=created_before,
                older_than=older_than,
                finished_since=cutoff,
                limit=limit,
            )
        )

    async def replays_of(self, job_id: str) -> list[str]:
        """The ids of the jobs replaying ``job_id``, oldest first."""
        return await self.store.replays_of(job_id)

    async def cancel_job(self, job_id: str, by: str | None = None) -> JobRecord:
        """Cancel a pending or running job: it ends ``failed`` with "cancelled by <by>", its running
        tasks are stopped (a task in the process pool or in a queue worker's process with its
        process) and its webhook is sent, as for any end. Cancelling a cancelled job again
        answers the same job; a job that ended otherwise raises :class:`JobAlreadyFinished`."""
        job = await self.get_job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        if not job.status.finished:
            _ended, record = await self.engine.cancel(job, (by or "").strip() or CANCELLED_BY_API)
            job = record if record is not None else job
        if job.cancelled_by is None:  # it ended some other way first
            raise JobAlreadyFinished(job.id, job.status.value)
        return job

    async def replay_job(self, job_id: str) -> JobRecord:
        """Run a job's workflow (the snapshot it ran) again on its source, as a new job that
        records the one it replays. Every call starts one more job."""
        job = await self.get_job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        if job.source.kind is SourceKind.HANDLE:
            await asyncio.to_thread(self.storage.get, job.source.value)
        return await self.engine.submit(job.workflow, job.source, base_url=job.base_url, replay_of=job.uuid)

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        """The webhook delivery attempts of a job, in order."""
        return await self.store.webhook_attempts(job_id)

    # -- workflows ---------------------------------------------------------

    async def list_workflows(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first."""
        return await self.catalog.list()

    async def get_workflow(self, workflow_id: str) -> WorkflowRecord:
        """A workflow; ``WorkflowNotFound`` if absent."""
        return await self.catalog.get(workflow_id)

    async def create_workflow(self, raw: Mapping[str, Any]) -> WorkflowRecord:
        """Validate and keep a new workflow; ``WorkflowValidationError`` names what is wrong."""
        return await self.catalog.create(raw)

    async def replace_workflow(self, workflow_id: str, raw: Mapping[str, Any]) -> WorkflowRecord:
        """Validate and replace a workflow's definition."""
        return await self.catalog.replace(workflow_id, raw)

    async def delete_workflow(self, workflow_id: str) -> None:
        """Remove a workflow (started jobs keep their snapshot)."""
        await self.catalog.delete(workflow_id)

    # -- quarantine --------------------------------------------------------

    async def quarantined(self, limit: int = 100) -> list[tuple[Hold, StoredFile | None]]:
        """The files held in quarantine, newest first, with their records (``None`` if gone)."""
        holds = await asyncio.to_thread(self.storage.quarantine.list, limit)
        return [(hold, await asyncio.to_thread(self._record_or_none, hold.handle)) for hold in holds]

    async def release_file(self, handle: str) -> Hold:
        """End a file's hold: it is public again. :class:`NotQuarantined` if it was not held."""
        hold = await asyncio.to_thread(self.storage.quarantine.get, handle)
        if hold is None or not await asyncio.to_thread(self.storage.quarantine.release, handle):
            raise NotQuarantined(handle)
        return hold

    async def delete_quarantined(self, handle: str) -> Hold:
        """Delete a held file (bytes and record) and its hold. :class:`NotQuarantined` if not held."""
        hold = await asyncio.to_thread(self.storage.quarantine.get, handle)
        if hold is None:
            raise NotQuarantined(handle)
        if await asyncio.to_thread(self.storage.delete, handle) and self.on_file_deleted is not None:
            await asyncio.to_thread(self.on_file_deleted, handle)
        await asyncio.to_thread(self.storage.quarantine.release, handle)
        return hold

    def _record_or_none(self, handle: str) -> StoredFile | None:
        try:
            return self.storage.get(handle)
        except FileNotFound:
            return None

    # -- actions -----------------------------------------------------------

    def register_action(self, action: Action, *, replace: bool = False) -> Action:
        """Add an action implementation (its contract must be registered)."""
        return self.actions.register(action, replace=replace)

    def register_function(self, name: str, function: ActionFunction, *, replace: bool = False) -> Action:
        """Add ``async def function(context, params) -> dict`` as action ``name``."""
        return self.actions.register_function(name, function, replace=replace)
