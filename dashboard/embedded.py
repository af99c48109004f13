"""Wiring of the embedded Filestack-compatible service into the Reflex backend.

With no Filestack API key set, requests under the service's prefixes (``/cdn``, ``/www``,
``/upload``, ``/workflows-beta``) go to the service instead of Reflex. The service is built
when the backend starts (a lifespan task), not when the app is imported: importing the app
(``reflex export``, ``reflex db migrate``) writes no credentials, creates no folders and
touches no database. This module only connects parts; the service never imports the app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.job_events import job_events
from dashboard.local_filestack.app import Service, build_service, mounted_under
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.workflows.engine.events import JobEvent


def forward_job_events(service: Service) -> Callable[[], None]:
    """Wake this process's followers of a job whenever the service says it moved; returns the
    function that stops it. (With Redis the service's bus already reaches every process.)"""
    followers = job_events(service.settings.deployment.redis_url)

    def wake(event: JobEvent) -> None:
        followers.wake(event.job_id)

    return service.workflows.events.listen(wake)


class EmbeddedService:
    """The service in front of Reflex: routed by path once the backend's lifespan built it."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.service: Service | None = None
        self._app: ASGIApp | None = None

    def mount(self, reflex_app: ASGIApp) -> ASGIApp:
        """An ``api_transformer`` for ``rx.App``: the service's paths to the service, the rest to Reflex."""

        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] in ("http", "websocket") and mounted_under(scope.get("path", "")):
                if self._app is None:
                    await JSONResponse({"error": "the file service is not running"}, status_code=503)(
                        scope, receive, send
                    )
                    return
                await self._app(scope, receive, send)
                return
            await reflex_app(scope, receive, send)

        return route

    @contextlib.asynccontextmanager
    async def lifespan(self) -> AsyncIterator[None]:
        """A Reflex lifespan task: build and start the service with the backend, stop it after."""
        service = build_service(self.settings)  # start-up: nothing else runs on the loop yet
        self.service = service
        self._app = Starlette(routes=service.routes)
        stop_forwarding = forward_job_events(service)
        try:
            async with service.running():
                yield
        finally:
            stop_forwarding()
            self._app = None
            self.service = None
