"""Helpers for the workflow engine tests: a running service with workflows, stand-in actions."""

from __future__ import annotations

import asyncio
import contextlib
import io
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from local_service import API_KEY, BASE_URL, SECRET, make_config
from PIL import Image
from pydantic import BaseModel, ConfigDict

from dashboard.local_filestack.app import Service, create_app
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.workflows.engine.actions import ActionContext, ActionError
from dashboard.local_filestack.workflows.model import contracts
from dashboard.local_filestack.workflows.model.contracts import ActionContract
from dashboard.local_filestack.workflows.model.shipped import COVER_PHOTO_ID as COVER_ID
from dashboard.local_filestack.workflows.model.shipped import DELETE_NSFW_ID
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_ID
from dashboard.local_filestack.workflows.service import WorkflowService

REST = "/workflows-beta"
AUTH = (API_KEY, SECRET)
__all__ = ["COVER_ID", "DELETE_NSFW_ID", "PROFILE_ID"]
FAST = WorkflowSettings(process_workers=2, webhook_base_delay_s=0.05, webhook_max_delay_s=0.2)


@dataclass
class Running:
    """A started service with its workflow engine and an in-process HTTP client."""

    service: Service
    workflows: WorkflowService
    client: httpx.AsyncClient


@contextlib.asynccontextmanager
async def running_workflows(
    data_dir: Path,
    settings: WorkflowSettings | None = None,
    *,
    allow_private_fetch: bool = False,
    **config: Any,
) -> AsyncIterator[Running]:
    """``create_app`` with workflow settings, started; shut down on exit."""
    app = create_app(
        make_config(data_dir, workflows=settings or FAST, **config), allow_private_fetch=allow_private_fetch
    )
    service: Service = app.state.service
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with service.running(), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield Running(service, service.workflows, client)


class NapParams(BaseModel):
    """Params of the stand-in ``nap`` action."""

    model_config = ConfigDict(extra="forbid")

    seconds: float = 0.2
    value: Any = None
    fail: str | None = None


NAP = ActionContract(
    name="nap",
    description="Test stand-in: sleep, then record when it ran.",
    params_model=NapParams,
    output={"type": "object", "properties": {"started": {}, "finished": {}, "value": {}}},
)


async def nap(context: ActionContext, params: BaseModel) -> dict[str, Any]:
    """Sleep ``seconds`` and report the wall-clock start and end (or fail with ``fail``)."""
    assert isinstance(params, NapParams)
    started = time.time()
    await asyncio.sleep(params.seconds)
    if params.fail:
        raise ActionError(params.fail)
    return {"started": started, "finished": time.time(), "value": params.value}


@contextlib.contextmanager
def nap_contract() -> Iterator[ActionContract]:
    """The ``nap`` contract registered for the duration of a test."""
    contracts.register(NAP, replace=True)
    try:
        yield NAP
    finally:
        contracts.ACTIONS.pop(NAP.name, None)


def nap_task(
    task_id: str, seconds: float = 0.2, requires: tuple[str, ...] = (), **params: Any
) -> dict[str, Any]:
    """A workflow task running ``nap``."""
    return {
        "id": task_id,
        "action": "nap",
        "params": {"seconds": seconds, **params},
        "requires": [{"task": required} for required in requires],
    }


def stored_keys(data_dir: Path, prefix: str) -> list[str]:
    """Storage keys starting with ``prefix``, read straight from the metadata database."""
    with contextlib.closing(sqlite3.connect(data_dir / "metadata.sqlite3")) as conn:
        rows = conn.execute("SELECT key FROM files WHERE key LIKE ?", (prefix + "%",)).fetchall()
    return [row[0] for row in rows]


async def poll_status(client: httpx.AsyncClient, job_id: str, *, timeout_s: float = 30.0) -> dict[str, Any]:
    """Poll ``workflow_status`` until the job is no longer ``Started``."""
    deadline = time.monotonic() + timeout_s
    while True:
        response = await client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] != "Started":
            return body
        assert time.monotonic() < deadline, f"job {job_id} still running: {body}"
        await asyncio.sleep(0.05)


def photo_like(width: int, height: int) -> bytes:
    """A JPEG that compresses like a photograph (gradients plus coarse and fine noise)."""
    base = Image.linear_gradient("L").resize((width, height))
    coarse = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 60).resize(
        (width, height), Image.BICUBIC
    )
    fine = Image.effect_noise((width, height), 25)
    image = Image.merge(
        "RGB",
        (
            Image.blend(base, coarse, 0.5),
            Image.blend(coarse, fine, 0.4),
            Image.blend(base.transpose(Image.Transpose.ROTATE_180), fine, 0.3),
        ),
    )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def sleep_in_pool(marker: str, seconds: float) -> int:
    """Run in a process-pool worker: write the worker's pid to ``marker``, sleep, then write "finished"."""
    import os

    Path(marker).write_text(str(os.getpid()))
    time.sleep(seconds)
    Path(marker).write_text("finished")
    return os.getpid()


async def nap_in_pool(context: ActionContext, params: BaseModel) -> dict[str, Any]:
    """A ``nap`` whose sleep runs in the process pool; ``value`` is the marker file's path."""
    assert isinstance(params, NapParams)
    pid = await context.run_cpu(sleep_in_pool, str(params.value), params.seconds)
    return {"pid": pid}
