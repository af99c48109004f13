"""A broker that cannot be reached: run_workflow answers 503 with Retry-After and keeps no job."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from local_service import API_KEY, SECRET, image_bytes, make_config, running_service
from service_process import free_port

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.workflows.model.errors import QueueUnavailable
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID


async def test_a_job_the_broker_refused_is_503_and_not_kept(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (service, client):
        handle = (
            await client.post("/www/api/store/S3", params={"key": API_KEY}, content=image_bytes(40, 30))
        ).json()["handle"]

        async def unreachable(_job_id: str) -> None:
            raise QueueUnavailable("Connection refused")

        service.workflows.engine.queue.put = unreachable  # type: ignore[method-assign]
        answer = await client.get(f"/cdn/run_workflow=id:{PROFILE_PICTURE_ID}/{handle}")
        assert answer.status_code == 503 and answer.headers["retry-after"] == "1"
        assert "job queue is unavailable" in answer.json()["error"]
        listed = await client.get("/workflows-beta/jobs", auth=(API_KEY, SECRET))
        assert listed.json() == []  # no job left waiting for a queue that never got it


def test_the_celery_queue_says_its_broker_is_unreachable() -> None:
    pytest.importorskip("celery", reason="the scale extra is not installed (pip install -e '.[scale]')")
    import asyncio

    from dashboard.local_filestack.workflows.celery.queue import CeleryQueue

    url = f"redis://127.0.0.1:{free_port()}/0"
    queue = CeleryQueue(DeploymentSettings(redis_url=url, database_url=None), capacity=10)
    started = time.monotonic()
    try:
        with pytest.raises(QueueUnavailable):
            asyncio.run(queue.put("0d9a3f4e-5b61-4c2e-9a1e-3f1b2c4d5e6f"))
    finally:
        queue.close()
    print(f"refused after {time.monotonic() - started:.1f} s")
