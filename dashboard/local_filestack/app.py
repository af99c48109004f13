"""The embedded Filestack-compatible service: its parts, its lifecycle and its URLs.

Every URL the service answers is listed by :attr:`LocalFilestack.routes` (one
``Mount`` per Filestack host, defined in ``routes_cdn``, ``routes_file`` and
``routes_upload``) plus ``GET /health`` in :func:`create_app`:

* ``/cdn``    ↔ cdn.filestackcontent.com   (processing, delivery, workflows)
* ``/www``    ↔ www.filestackapi.com       (simple store and the File API)
* ``/upload`` ↔ upload.filestackapi.com    (multipart uploads)
* whatever the attached workflow gateway adds (``/workflows-beta``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from typing import AsyncIterator, Protocol, Sequence, runtime_checkable

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from dashboard.filestack_protocol.grammar import ParsedPath, Task
from dashboard.local_filestack.http import cdn as routes_cdn
from dashboard.local_filestack.http import file_api as routes_file
from dashboard.local_filestack.http import upload as routes_upload
from dashboard.local_filestack.storage.cache import TransformCache
from dashboard.local_filestack.config.service import ServiceConfig
from dashboard.local_filestack.http.errors import exception_handlers
from dashboard.local_filestack.imaging import Rendered, transform
from dashboard.local_filestack.ingest.receive import FetchOptions
from dashboard.local_filestack.ingest.multipart import MultipartStore
from dashboard.local_filestack.storage.files import Storage
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.http.urls import service_base
from dashboard.local_filestack.workflows.service import attach_workflows
from dashboard.local_filestack.config.workflows import WorkflowSettings

logger = logging.getLogger("dashboard.local_filestack")


@runtime_checkable
class WorkflowGateway(Protocol):
    """What the CDN delegates ``run_workflow`` and ``workflow_status`` to.

    A gateway may also have ``routes`` (a list of Starlette routes to mount) and
    ``async startup()`` / ``async shutdown()``; the service uses them when present.
    """

    async def run_workflow(self, request: Request, parsed: ParsedPath, policy_ok: bool) -> Response:
        """Start a workflow job on the parsed path's source."""
        ...

    async def workflow_status(self, request: Request, parsed: ParsedPath) -> Response:
        """Report a job's status."""
        ...


class LocalFilestack:
    """The service: config, storage, transform cache, executor and optional workflows."""

    def __init__(self, config: ServiceConfig, workflows: WorkflowGateway | None = None) -> None:
        self.config = config
        self.storage: Storage = open_storage(config.data_dir, config.deployment)
        self.cache = TransformCache(config.data_dir / "cache")
        self.multipart = MultipartStore(config.data_dir / "multipart")
        self.workflows: WorkflowGateway | None = workflows
        self._executor: ThreadPoolExecutor | None = None

    # -- lifecycle ---------------------------------------------------------

    async def startup(self) -> None:
        """Start the transform workers, drop stale multipart uploads, start workflows."""
        self._ensure_executor()
        removed = await asyncio.to_thread(self.multipart.purge_stale)
        if removed:
            logger.info("removed %d stale multipart upload(s)", removed)
        start = getattr(self.workflows, "startup", None)
        if start is not None:
            await start()

    async def shutdown(self) -> None:
        """Stop workflows and the transform workers."""
        stop = getattr(self.workflows, "shutdown", None)
        if stop is not None:
            await stop()
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def _ensure_executor(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.config.transform_workers, thread_name_prefix="filestack-transform"
            )
        return self._executor

    # -- routes ------------------------------------------------------------

    @property
    def routes(self) -> list[BaseRoute]:
        """One Mount per Filestack host (errors answered as JSON inside each)."""
        guard = [Middleware(ExceptionMiddleware, handlers=exception_handlers())]
        mounts: list[BaseRoute] = [
            Mount(routes_cdn.PREFIX, routes=routes_cdn.routes(self), middleware=guard),
            Mount(routes_file.PREFIX, routes=routes_file.routes(self), middleware=guard),
            Mount(routes_upload.PREFIX, routes=routes_upload.routes(self), middleware=guard),
        ]
        extra: Sequence[BaseRoute] = getattr(self.workflows, "routes", None) or ()
        mounts.extend(extra)
        return mounts

    # -- shared helpers for the route modules ------------------------------

    async def render(self, data: bytes, tasks: Sequence[Task]) -> Rendered:
        """Run a task chain on the transform workers (never on the event loop)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._ensure_executor(), transform, data, tuple(tasks), self.config.limits
        )

    def base_url(self, request: Request, prefix: str) -> str:
        """The base of URLs handed back to clients."""
        return service_base(request, prefix, self.config.public_url)

    @property
    def fetch_options(self) -> FetchOptions:
        """How user-supplied URLs are fetched."""
        return FetchOptions(
            allow_private=self.config.allow_private_fetch,
            timeout=self.config.fetch_timeout_s,
            max_bytes=self.config.fetch_max_bytes,
        )


async def _health(_request: Request) -> JSONResponse:
    return JSONResponse({"ok": True})


def create_app(
    config: ServiceConfig,
    *,
    workflows: WorkflowGateway | None = None,
    workflow_settings: WorkflowSettings | None = None,
) -> Starlette:
    """A Starlette app serving the service at its root; ``app.state.local_filestack`` is the service.

    Without a ``workflows`` gateway the built-in workflow engine is attached
    (configured by ``workflow_settings``).
    """
    service = LocalFilestack(config, workflows)
    if workflows is None:
        attach_workflows(service, workflow_settings)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await service.startup()
        try:
            yield
        finally:
            await service.shutdown()

    handlers = {key: value for key, value in exception_handlers().items() if key is not Exception}
    app = Starlette(
        routes=[Route("/health", _health, methods=["GET"]), *service.routes],
        lifespan=lifespan,
        exception_handlers=handlers,
    )
    app.state.local_filestack = service
    return app
