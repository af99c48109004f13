"""The workflow engine wired into the file service: one object for the app and the dashboard.

:func:`attach_workflows` builds a :class:`WorkflowService` on a
:class:`~dashboard.local_filestack.app.LocalFilestack` and sets it as the
service's workflow gateway, so the CDN's ``run_workflow`` / ``workflow_status``
reach it, its REST routes are mounted and its ``startup``/``shutdown`` run
with the service's.

In-process callers (the dashboard) use the same engine without HTTP:
:meth:`WorkflowService.start_job`, :meth:`~WorkflowService.get_job`,
:meth:`~WorkflowService.job_status`, :meth:`~WorkflowService.wait_for_job`,
:meth:`~WorkflowService.list_recent_jobs` and the workflow methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Optional

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from dashboard.filestack_protocol.grammar import ParsedPath
from dashboard.local_filestack.workflows.api import rest
from dashboard.local_filestack.workflows.engine.actions import (
    Action,
    ActionFunction,
    ActionRegistry,
    ActionResources,
    default_registry,
)
from dashboard.local_filestack.workflows.engine.catalog import WorkflowCatalog
from dashboard.local_filestack.workflows.engine.runner import WorkflowEngine
from dashboard.local_filestack.workflows.api.cdn import CdnWorkflowGateway
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    SourceKind,
    WebhookAttempt,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.engine.pool import WorkerPool
from dashboard.local_filestack.workflows.engine.backends import open_job_queue, open_job_store
from dashboard.local_filestack.workflows.engine.queue import JobQueue
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.workflows.engine.shipped import install_shipped
from dashboard.local_filestack.workflows.engine.sources import FetchSettings, InvalidSource, SourceResolver
from dashboard.local_filestack.workflows.stores.store import JobStore, PurgeResult
from dashboard.local_filestack.workflows.model.views import cdn_status
from dashboard.local_filestack.workflows.engine.webhooks import WebhookSender

if TYPE_CHECKING:
    from dashboard.local_filestack.app import LocalFilestack
    from dashboard.local_filestack.config.service import ServiceConfig

logger = logging.getLogger("dashboard.local_filestack.workflows")

#: How many of the newest jobs are checked at startup for webhook deliveries left unfinished.
WEBHOOK_RESUME_SCAN = 500


class WorkflowService:
    """Store, queue, engine, actions, webhooks and both APIs of the workflow engine.

    ``store`` and ``queue`` default to SQLite (``data_dir/workflows.db``) and an
    in-process queue; pass other :class:`JobStore` / :class:`JobQueue`
    implementations to replace them.
    """

    def __init__(
        self,
        service: LocalFilestack,
        settings: Optional[WorkflowSettings] = None,
        *,
        store: Optional[JobStore] = None,
        queue: Optional[JobQueue] = None,
        registry: Optional[ActionRegistry] = None,
    ) -> None:
        self.service = service
        self.settings = settings or WorkflowSettings()
        config = service.config
        self.store: JobStore = store or open_job_store(config.data_dir, config.deployment, self.settings)
        self.queue: JobQueue = queue or open_job_queue(config.deployment, self.settings)
        self.actions = registry or default_registry()
        self.pool = WorkerPool(self.settings.pool_size)
        self.catalog = WorkflowCatalog(self.store)
        self.webhooks = WebhookSender(
            store=self.store,
            settings=self.settings,
            app_secret=config.app_secret,
            allow_private=config.allow_private_fetch,
        )
        self.engine = WorkflowEngine(
            store=self.store,
            queue=self.queue,
            registry=self.actions,
            resources=ActionResources(
                storage=service.storage,
                store=self.store,
                pool=self.pool,
                limits=config.limits,
                public_url=config.public_url,
                on_file_deleted=service.cache.purge,
            ),
            resolver=SourceResolver(
                service.storage,
                self.store,
                FetchSettings(
                    allow_private=config.allow_private_fetch,
                    timeout_s=config.fetch_timeout_s,
                    max_bytes=min(config.fetch_max_bytes, config.max_upload_bytes),
                ),
                config.limits,
            ),
            settings=self.settings,
            on_finished=self.webhooks.job_finished,
        )
        self.gateway = CdnWorkflowGateway(self)
        self.routes: list[BaseRoute] = [rest.mount(self)]
        self._janitor: Optional[asyncio.Task[None]] = None

    @property
    def config(self) -> ServiceConfig:
        """The file service's configuration."""
        return self.service.config

    # -- lifecycle ---------------------------------------------------------

    async def startup(self) -> None:
        """Install the shipped workflows, purge expired jobs, take up unfinished webhook deliveries,
        resume unfinished jobs, start runners."""
        await install_shipped(self.catalog)
        await self.purge_expired()
        if self.queue.consumed_here:
            self.pool.warm_up()
        # Before the runners start, so no job this process finishes is taken for an abandoned delivery.
        await self.webhooks.resume(await self.store.list_recent(None, WEBHOOK_RESUME_SCAN))
        await self.engine.start()
        self._janitor = asyncio.create_task(self._purge_periodically(), name="workflow-janitor")

    async def shutdown(self) -> None:
        """Stop runners, webhook deliveries, the janitor and the worker processes; close the store."""
        await self.engine.stop()
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
            if await asyncio.to_thread(self.service.storage.delete, handle):
                await asyncio.to_thread(self.service.cache.purge, handle)
        if result.jobs:
            logger.info("purged %d expired workflow job(s)", result.jobs)
        return result

    # -- the CDN gateway (see app.WorkflowGateway) -------------------------

    async def run_workflow(self, request: Request, parsed: ParsedPath, policy_ok: bool) -> Response:
        """``run_workflow=id:...`` on the CDN."""
        return await self.gateway.run_workflow(request, parsed, policy_ok)

    async def workflow_status(self, request: Request, parsed: ParsedPath) -> Response:
        """``workflow_status=job_id:...`` on the CDN."""
        return await self.gateway.workflow_status(request, parsed)

    def base_url(self, request: Request, prefix: str) -> str:
        """The base of URLs handed back to clients of ``request``."""
        return self.service.base_url(request, prefix)

    # -- jobs --------------------------------------------------------------

    async def start_job(self, workflow_id: str, source: str, *, base_url: Optional[str] = None) -> JobRecord:
        """Queue a job of a workflow on a handle, an http(s) URL or a ``src://`` alias.

        Raises :class:`~dashboard.local_filestack.workflows.engine.catalog.WorkflowNotFound`,
        :class:`~dashboard.local_filestack.workflows.engine.sources.InvalidSource`,
        :class:`~dashboard.local_filestack.storage.files.FileNotFound` (unknown handle) and
        :class:`~dashboard.local_filestack.workflows.engine.queue.QueueFull`.
        """
        workflow = await self.catalog.get(workflow_id)
        try:
            job_source = JobSource.classify(source)
        except ValueError as exc:
            raise InvalidSource(str(exc)) from exc
        if job_source.kind is SourceKind.HANDLE:
            await asyncio.to_thread(self.service.storage.get, job_source.value)
        return await self.engine.submit(workflow, job_source, base_url=base_url or self.config.public_url)

    async def get_job(self, job_id: str) -> Optional[JobRecord]:
        """A job, or ``None`` if it does not exist or its TTL ran out."""
        job = await self.store.get_job(job_id)
        if job is None or job.expired(self.settings.ttl_s):
            return None
        return job

    async def job_status(self, job_id: str) -> Optional[dict[str, Any]]:
        """A job as ``workflow_status`` answers it, or ``None``."""
        job = await self.get_job(job_id)
        return cdn_status(job, self.settings.ttl_s) if job is not None else None

    async def wait_for_job(
        self, job_id: str, *, timeout_s: float = 60.0, interval_s: float = 0.05
    ) -> JobRecord:
        """Poll until the job has finished.

        Raises :class:`TimeoutError` after ``timeout_s`` and :class:`LookupError` if the job is gone.
        """
        async with asyncio.timeout(timeout_s):
            while True:
                job = await self.get_job(job_id)
                if job is None:
                    raise LookupError(f"job {job_id!r} not found")
                if job.status.finished:
                    return job
                await asyncio.sleep(interval_s)

    async def list_recent_jobs(self, workflow_id: Optional[str] = None, limit: int = 20) -> list[JobRecord]:
        """The newest jobs (of one workflow, if given), newest first; expired ones left out."""
        jobs = await self.store.list_recent(workflow_id, limit)
        return [job for job in jobs if not job.expired(self.settings.ttl_s)]

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

    # -- actions -----------------------------------------------------------

    def register_action(self, action: Action, *, replace: bool = False) -> Action:
        """Add an action implementation (its contract must be registered)."""
        return self.actions.register(action, replace=replace)

    def register_function(self, name: str, function: ActionFunction, *, replace: bool = False) -> Action:
        """Add ``async def function(context, params) -> dict`` as action ``name``."""
        return self.actions.register_function(name, function, replace=replace)


def attach_workflows(
    service: LocalFilestack,
    settings: Optional[WorkflowSettings] = None,
    *,
    store: Optional[JobStore] = None,
    queue: Optional[JobQueue] = None,
    registry: Optional[ActionRegistry] = None,
) -> WorkflowService:
    """Build the workflow engine for ``service`` and make it the service's workflow gateway.

    Call it before the service's routes are read (``create_app`` does). ``store``,
    ``queue`` and ``registry`` replace the SQLite store, the in-process queue and
    the built-in actions.
    """
    workflows = WorkflowService(service, settings, store=store, queue=queue, registry=registry)
    service.workflows = workflows
    return workflows


class WorkflowsNotAttached(RuntimeError):
    """The file service runs without the built-in workflow engine."""


def workflows_of(service: LocalFilestack) -> WorkflowService:
    """The workflow engine attached to ``service``; :class:`WorkflowsNotAttached` if there is none."""
    workflows = service.workflows
    if not isinstance(workflows, WorkflowService):
        raise WorkflowsNotAttached("the file service has no built-in workflow engine attached")
    return workflows


__all__ = ["WorkflowService", "WorkflowsNotAttached", "attach_workflows", "workflows_of"]
