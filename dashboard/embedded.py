"""Wiring of the embedded Filestack-compatible service into the Reflex backend.

With no Filestack API key set, the service's routes (``/cdn``, ``/www``, ``/upload``,
``/workflows-beta``) are mounted in front of Reflex's own, and its workers start and
stop with the backend. This module only connects parts; the service itself never
imports the app.
"""

from __future__ import annotations

import contextlib
from typing import AsyncIterator

from starlette.applications import Starlette

from dashboard.local_filestack.app import LocalFilestack
from dashboard.local_filestack.config.service import ServiceConfig
from dashboard.local_filestack.config.credentials import load_or_create
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.config.limits import ServiceLimits
from dashboard.local_filestack.workflows.service import attach_workflows
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.settings import Settings


def deployment_of(settings: Settings) -> DeploymentSettings:
    """The parts the embedded service runs on, from the app's settings."""
    return DeploymentSettings(
        database_url=settings.database_url,
        redis_url=settings.redis_url,
        storage_url=settings.storage_url,
        s3_endpoint_url=settings.s3_endpoint_url,
        workflow_workers=settings.workflow_workers,
    )


def limits_of(settings: Settings) -> ServiceLimits:
    """The embedded service's resource limits, from the app's settings."""
    return ServiceLimits(
        max_upload_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_pixels,
        max_frames=settings.max_frames,
        task_timeout_s=settings.workflow_task_timeout_s,
        job_timeout_s=settings.workflow_job_timeout_s,
        queue_size=settings.workflow_queue_size,
    )


def build_service(settings: Settings) -> LocalFilestack:
    """The embedded service configured from the app's settings, with workflows attached."""
    creds = load_or_create(settings.data_dir)
    limits = limits_of(settings)
    config = ServiceConfig(
        **limits.config_values(),
        data_dir=settings.data_dir,
        api_key=creds.api_key,
        app_secret=creds.app_secret,
        require_security=settings.local_filestack_require_security,
        public_url=settings.embedded_base_url.rstrip("/"),
        deployment=deployment_of(settings),
    )
    service = LocalFilestack(config)
    attach_workflows(service, WorkflowSettings(**limits.workflow_values()))
    return service


def api_for(service: LocalFilestack) -> Starlette:
    """A Starlette app holding the service's routes, for ``rx.App(api_transformer=...)``."""
    return Starlette(routes=service.routes)


def lifespan_for(service: LocalFilestack):
    """A Reflex lifespan task that starts the service with the backend and stops it after."""

    @contextlib.asynccontextmanager
    async def embedded_filestack() -> AsyncIterator[None]:
        await service.startup()
        try:
            yield
        finally:
            await service.shutdown()

    return embedded_filestack
