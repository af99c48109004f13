"""The embedded Filestack-compatible service, assembled: its parts, its URLs, its lifecycle.

This is the one place that builds the service. :func:`build_service` makes every part
from :class:`~dashboard.local_filestack.config.settings.ServiceSettings` and hands each
route only what it uses; every URL the service answers is in the literal list of mounts
there, one per Filestack host:

* ``/cdn``            ↔ cdn.filestackcontent.com        (processing, delivery, workflow tasks, ``/process``)
* ``/www``            ↔ www.filestackapi.com            (simple store and the File API)
* ``/upload``         ↔ upload.filestackapi.com         (multipart uploads)
* ``/process``        ↔ process.filestackapi.com        (``POST /process``: URL ingestion with tasks)
* ``/workflows-beta`` ↔ workflows-beta.filestackapi.com (the Workflows REST API, its ``/docs`` and ``/openapi.json``)

Every mount answers CORS preflights and grants the allowed origins (:mod:`.http.cors`).

plus ``GET /health`` when it runs on its own (:func:`create_app`). Its lifecycle hooks are
declared next to the parts they start and stop.

Building touches the disk and the databases (credentials, folders, tables); importing
this module does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route

from dashboard.local_filestack.config.credentials import Credentials, resolve_credentials
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.http import cdn, file_api, process, upload
from dashboard.local_filestack.http.auth import Gate
from dashboard.local_filestack.http.cors import cors_middleware
from dashboard.local_filestack.http.errors import exception_handlers
from dashboard.local_filestack.http.rate_limits import KeyRateLimiter
from dashboard.local_filestack.http.rendering import Renderer
from dashboard.local_filestack.http.urls import PROCESS_PREFIX
from dashboard.local_filestack.ingest.multipart import MultipartStore
from dashboard.local_filestack.ingest.netguard import FetchOptions, parse_allowed_hosts
from dashboard.local_filestack.ingest.screenshot import Screenshots
from dashboard.local_filestack.intelligence import face_boxes
from dashboard.local_filestack.storage.aliases import open_aliases
from dashboard.local_filestack.storage.atomic import remove_crash_leftovers
from dashboard.local_filestack.storage.cache import TransformCache
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.api import rest
from dashboard.local_filestack.workflows.api.cdn import CdnWorkflows
from dashboard.local_filestack.workflows.api.openapi import ApiDocs
from dashboard.local_filestack.workflows.celery.queue import CeleryQueue
from dashboard.local_filestack.workflows.engine.actions import ActionRegistry
from dashboard.local_filestack.workflows.engine.events import open_job_events
from dashboard.local_filestack.workflows.engine.queue import InProcessQueue, JobQueue
from dashboard.local_filestack.workflows.service import WorkflowService
from dashboard.local_filestack.workflows.stores.sql import open_job_store
from dashboard.local_filestack.workflows.stores.store import JobStore

logger = logging.getLogger(__name__)

#: Where each Filestack host is mounted, in the order of the mounts.
MOUNT_PREFIXES: tuple[str, ...] = (cdn.PREFIX, file_api.PREFIX, upload.PREFIX, PROCESS_PREFIX, rest.PREFIX)

Hook = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class Service:
    """The built service: its parts, its routes and the hooks that start and stop it."""

    settings: ServiceSettings
    credentials: Credentials
    storage: Storage
    cache: TransformCache
    multipart: MultipartStore
    renderer: Renderer
    workflows: WorkflowService
    #: One ``Mount`` per Filestack host (see :data:`MOUNT_PREFIXES`).
    routes: list[BaseRoute]
    on_startup: tuple[Hook, ...]
    on_shutdown: tuple[Hook, ...]

    async def startup(self) -> None:
        """Run the start hooks in order."""
        for hook in self.on_startup:
            await hook()

    async def shutdown(self) -> None:
        """Run the stop hooks in order."""
        for hook in self.on_shutdown:
            await hook()

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Service]:
        """Started inside the block, stopped after it."""
        await self.startup()
        try:
            yield self
        finally:
            await self.shutdown()


def open_job_queue(settings: ServiceSettings) -> JobQueue:
    """The job queue the deployment selects: runners in this process, or Celery queue workers."""
    deployment = settings.deployment
    deployment.check()
    if deployment.uses_celery:
        return CeleryQueue(deployment, settings.workflows.queue_size)
    return InProcessQueue(settings.workflows.queue_size)


def build_service(
    settings: ServiceSettings,
    *,
    allow_private_fetch: bool = False,
    registry: ActionRegistry | None = None,
    store: JobStore | None = None,
    queue: JobQueue | None = None,
) -> Service:
    """Every part of the service, wired. Creates the data dir, the credentials and the tables.

    ``allow_private_fetch`` lets URL fetches reach every private address (in-process tests only;
    ``FETCH_ALLOWED_HOSTS`` names the hosts let through otherwise);
    ``registry``, ``store`` and ``queue`` replace the built-in actions, job store and queue.
    """
    credentials = resolve_credentials(settings)
    rates = KeyRateLimiter(settings.rate_limits, settings.deployment.redis_url)
    gate = Gate(credentials.api_key, credentials.app_secret, settings.require_security, rates)
    data_dir = settings.data_dir
    limits = settings.limits.image
    fetching = FetchOptions(
        max_bytes=settings.limits.max_upload_bytes,
        allow_private=allow_private_fetch,
        allowed_hosts=parse_allowed_hosts(settings.fetch_allowed_hosts),
    )
    storage = open_storage(data_dir, settings.deployment, quota_bytes=settings.limits.storage_quota_bytes)
    aliases = open_aliases(settings.aliases, settings.deployment)
    cache = TransformCache(data_dir / "cache", max_bytes=settings.limits.transform_cache_max_bytes)
    multipart = MultipartStore(storage.blobs, storage.index.db)
    renderer = Renderer(settings.transform_workers, limits, face_boxes)
    workflows = WorkflowService(
        settings=settings.workflows,
        storage=storage,
        store=store
        or open_job_store(data_dir, settings.deployment, threads=settings.workflows.store_threads),
        queue=queue or open_job_queue(settings),
        app_secret=credentials.app_secret,
        limits=limits,
        fetching=fetching,
        public_url=settings.public_url,
        find_faces=face_boxes,
        registry=registry,
        on_file_deleted=cache.purge,
        aliases=aliases,
        events=open_job_events(settings.deployment.redis_url),
    )
    public_url = settings.public_url
    gateway = CdnWorkflows(workflows)
    guard = [
        cors_middleware(settings.cors_allowed_origins, public_url),
        Middleware(ExceptionMiddleware, handlers=exception_handlers()),
    ]
    cdn_host = cdn.Cdn(
        gate=gate,
        storage=storage,
        cache=cache,
        renderer=renderer,
        fetching=fetching,
        limits=limits,
        public_url=public_url,
        workflows=gateway,
        aliases=aliases,
        screenshots=Screenshots(fetching),
    )
    process_endpoint = process.ProcessEndpoint(cdn_host)
    routes: list[BaseRoute] = [
        Mount(cdn.PREFIX, routes=[*process_endpoint.routes(), *cdn_host.routes()], middleware=guard),
        Mount(
            file_api.PREFIX,
            routes=file_api.FileApi(
                gate=gate,
                storage=storage,
                cache=cache,
                fetching=fetching,
                limits=limits,
                max_upload_bytes=settings.limits.max_upload_bytes,
                public_url=public_url,
                workflows=gateway,
            ).routes(),
            middleware=guard,
        ),
        Mount(
            upload.PREFIX,
            routes=upload.UploadApi(
                gate=gate,
                storage=storage,
                multipart=multipart,
                limits=limits,
                max_upload_bytes=settings.limits.max_upload_bytes,
                public_url=public_url,
                workflows=gateway,
            ).routes(),
            middleware=guard,
        ),
        Mount(PROCESS_PREFIX, routes=process_endpoint.routes(), middleware=guard),
        Mount(
            rest.PREFIX,
            routes=[*ApiDocs().routes(), *rest.WorkflowsRestApi(workflows, gate, public_url).routes()],
            middleware=guard,
        ),
    ]

    async def drop_stale_uploads() -> None:
        removed = await asyncio.to_thread(multipart.purge_stale)
        if removed:
            logger.info("removed %d stale multipart upload(s)", removed)

    async def remove_leftovers() -> None:
        folders = [data_dir / "cache", data_dir / "multipart"]
        if settings.deployment.s3_bucket is None:
            folders.append(settings.deployment.files_dir(data_dir))
        removed = sum([await asyncio.to_thread(remove_crash_leftovers, folder) for folder in folders])
        if removed:
            logger.info("removed %d temp file(s) left by interrupted writes", removed)
        usage = await asyncio.to_thread(cache.evict)  # measures the cache, trims it to its cap
        logger.info("transform cache: %d result(s), %d bytes", usage.entries, usage.bytes)

    async def close_storage() -> None:
        await asyncio.to_thread(storage.close)

    return Service(
        settings=settings,
        credentials=credentials,
        storage=storage,
        cache=cache,
        multipart=multipart,
        renderer=renderer,
        workflows=workflows,
        routes=routes,
        on_startup=(renderer.start, remove_leftovers, drop_stale_uploads, workflows.startup),
        on_shutdown=(workflows.shutdown, renderer.stop, close_storage),
    )


async def _health(_request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def create_app(
    settings: ServiceSettings, *, allow_private_fetch: bool = False, registry: ActionRegistry | None = None
) -> Starlette:
    """The service as a Starlette app at its root, started and stopped by the app's lifespan.

    ``app.state.service`` is the :class:`Service`; the options are :func:`build_service`'s.
    """
    service = build_service(settings, allow_private_fetch=allow_private_fetch, registry=registry)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        async with service.running():
            yield

    app = Starlette(
        routes=[Route("/health", _health, methods=["GET"]), *service.routes],
        lifespan=lifespan,
        exception_handlers=exception_handlers(catch_all=False),
    )
    app.state.service = service
    return app


def mounted_under(path: str, prefixes: Sequence[str] = MOUNT_PREFIXES) -> bool:
    """True when ``path`` is one of the service's (so a host app hands it to the service)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)
