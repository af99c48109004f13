"""One API key's uploads, stores and workflow runs are limited per window: 429 with Retry-After, nothing done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from local_service import API_KEY, SECRET, image_bytes, make_config, running_service
from service_process import free_port

from dashboard.local_filestack.config.limits import RateLimits
from dashboard.local_filestack.http.rate_limits import Action, KeyRateLimiter, RateLimited
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID

REST = "/workflows-beta"
AUTH = (API_KEY, SECRET)


def limited(**counts: int) -> RateLimits:
    """Every limit off except ``counts``, over a window of 2 s."""
    values = {"upload_rate_limit": 0, "store_rate_limit": 0, "run_workflow_rate_limit": 0, **counts}
    return RateLimits(rate_window_s=2, **values)


def assert_refused(answer: httpx.Response, action: str) -> int:
    assert answer.status_code == 429, answer.text
    assert f"{action} calls per 2 s for this API key" in answer.json()["error"]
    retry_after = int(answer.headers["retry-after"])
    assert 1 <= retry_after <= 2
    return retry_after


async def _store(client: httpx.AsyncClient, number: int) -> httpx.Response:
    body = image_bytes(20, 20, color=(number, 10, 10))
    return await client.post("/www/api/store/S3", params={"key": API_KEY}, content=body)


async def test_stores_past_the_limit_are_refused_until_the_window_moves(tmp_path: Path) -> None:
    config = make_config(tmp_path, rate_limits=limited(store_rate_limit=3))
    async with running_service(config) as (service, client):
        handles = []
        for number in range(3):
            answer = await _store(client, number)
            assert answer.status_code == 200, answer.text
            handles.append(answer.json()["handle"])
        refused = await _store(client, 99)
        retry_after = assert_refused(refused, "store")
        # the CDN's store task is a store too
        assert_refused(await client.get(f"/cdn/resize=width:10/store/{handles[0]}"), "store")
        # reading is not limited
        assert (await client.get(f"/cdn/{handles[0]}")).status_code == 200
        listed = service.storage.index.db.query("SELECT COUNT(*) FROM files")[0][0]
        assert listed == 3  # nothing refused was stored
        await asyncio.sleep(retry_after)  # the moving window has let the oldest call go
        assert (await _store(client, 100)).status_code == 200


async def test_run_workflow_and_rest_jobs_share_the_limit(tmp_path: Path) -> None:
    config = make_config(tmp_path, rate_limits=limited(run_workflow_rate_limit=2))
    async with running_service(config) as (_service, client):
        handle = (await _store(client, 1)).json()["handle"]
        started = await client.get(f"/cdn/run_workflow=id:{PROFILE_PICTURE_ID}/{handle}")
        assert started.status_code == 200, started.text
        job = await client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": PROFILE_PICTURE_ID, "handle": handle}
        )
        assert job.status_code == 201, job.text
        assert_refused(
            await client.get(f"/cdn/run_workflow=id:{PROFILE_PICTURE_ID}/{handle}"), "run_workflow"
        )
        assert_refused(
            await client.post(f"{REST}/jobs/{job.json()['uuid']}/replay", auth=AUTH), "run_workflow"
        )
        listed = await client.get(f"{REST}/jobs", auth=AUTH)
        assert len(listed.json()) == 2  # the refused calls started nothing
        # stores have their own count
        assert (await _store(client, 2)).status_code == 200


async def test_upload_api_starts_past_the_limit_are_refused(tmp_path: Path) -> None:
    config = make_config(tmp_path, rate_limits=limited(upload_rate_limit=1))
    body = {
        "apikey": API_KEY,
        "filename": "a.jpg",
        "mimetype": "image/jpeg",
        "size": 10,
        "store": {"location": "s3"},
    }
    async with running_service(config) as (_service, client):
        assert (await client.post("/upload/multipart/start", json=body)).status_code == 200
        assert_refused(await client.post("/upload/multipart/start", json=body), "upload")


def test_limits_let_calls_through_when_redis_is_unreachable() -> None:
    rates = KeyRateLimiter(limited(store_rate_limit=1), redis_url=f"redis://127.0.0.1:{free_port()}/0")
    for _ in range(3):  # a broker restart must not stop uploads
        rates.spend(Action.STORE, "key")


def test_memory_limits_count_per_key() -> None:
    rates = KeyRateLimiter(limited(store_rate_limit=1))
    rates.spend(Action.STORE, "one")
    rates.spend(Action.STORE, "two")
    rates.spend(Action.UPLOAD, "one")  # no upload limit set
    with pytest.raises(RateLimited) as refused:
        rates.spend(Action.STORE, "one")
    assert refused.value.retry_after_s in (1, 2)
