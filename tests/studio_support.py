"""The embedded service in-process with the app's client pointed at it, for the studio's tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from local_service import API_KEY, BASE_URL, SECRET, make_config
from starlette.applications import Starlette
from workflow_support import FAST

from dashboard.filestack import ClientConfig, FilestackClient, Job
from dashboard.local_filestack.app import Service, create_app


@dataclass
class StudioService:
    """A started service and a factory of clients talking to it in-process."""

    app: Starlette
    service: Service
    config: ClientConfig

    def open_client(self, _settings: Any = None) -> FilestackClient:
        """A new client over an in-process transport (same signature as ``connection.open_client``)."""
        return FilestackClient(self.config, transport=httpx.ASGITransport(app=self.app))

    async def wait_webhooks(self) -> None:
        """Wait until every webhook delivery in progress has ended."""
        await self.service.workflows.webhooks.wait_idle()


@contextlib.asynccontextmanager
async def studio_service(data_dir: Path, **config: Any) -> AsyncIterator[StudioService]:
    """``create_app`` on ``data_dir`` (fast webhook retries), started; shut down on exit."""
    allow_private_fetch = bool(config.pop("allow_private_fetch", False))
    app = create_app(make_config(data_dir, workflows=FAST, **config), allow_private_fetch=allow_private_fetch)
    service: Service = app.state.service
    await service.startup()
    try:
        yield StudioService(app, service, ClientConfig.embedded(BASE_URL, api_key=API_KEY, app_secret=SECRET))
    finally:
        await service.shutdown()


async def wait_until_finished(get_job: Callable[[str], Any], job_uuid: str, *, attempts: int = 600) -> Job:
    """Read the job until it is done or failed (each read is an event, not a timer)."""
    for _ in range(attempts):
        job: Job = await get_job(job_uuid)
        if job.finished:
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_uuid} did not finish")
