"""The app's webhook endpoint: only a correctly signed, fresh, first-seen webhook wakes a follower."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import photo_jobs
from dashboard.filestack_protocol.security import sign_webhook
from dashboard.job_events import LocalJobEvents
from dashboard.local_filestack.workflows.engine.webhooks import encode_body
from dashboard.webhook_endpoint import (
    WEBHOOK_PATH,
    MemoryReplayGuard,
    WebhookEndpoint,
    job_id_of,
    webhook_route,
)

SECRET = "webhook-secret-for-tests"
NOW = 1_800_000_000


async def _reflex(scope, receive, send) -> None:
    """Stands for the rest of the Reflex backend."""
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def _body(job_id: str = "2f6ad3b0-5c2c-4a0b-9a52-1d1a0f1b7c11") -> bytes:
    text = {"jobid": job_id, "workflow": "wf", "status": "Finished", "results": {}}
    return json.dumps({"id": 1, "action": "fs.workflow", "timestamp": NOW, "text": text}).encode()


def _headers(body: bytes, timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {
        "FS-Timestamp": str(timestamp),
        "FS-Signature": sign_webhook(secret, timestamp, body),
        "Content-Type": "application/json",
    }


@pytest.fixture()
def site():
    followers = LocalJobEvents()
    endpoint = WebhookEndpoint(SECRET, followers, MemoryReplayGuard(), tolerance_s=300, clock=lambda: NOW)
    app = webhook_route(endpoint)(_reflex)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    return client, followers


async def test_a_signed_webhook_wakes_the_follower_of_its_job(site) -> None:
    client, followers = site
    body = _body("job-a")
    with followers.watch("job-a") as watch:
        answer = await client.post(WEBHOOK_PATH, content=body, headers=_headers(body))
        assert answer.status_code == 200 and answer.json() == {"received": "job-a"}
        assert await asyncio.wait_for(watch.changed(timeout_s=600), 5)


@pytest.mark.parametrize(
    ("change", "status", "words"),
    [
        ("wrong secret", 401, "signature does not match"),
        ("body changed after signing", 401, "signature does not match"),
        ("no signature", 401, "no FS-Signature"),
        ("too old", 401, "from now"),
        ("from the future", 401, "from now"),
    ],
)
async def test_a_bad_or_stale_signature_is_refused_and_wakes_nobody(site, change, status, words) -> None:
    client, followers = site
    body = _body("job-b")
    headers = _headers(body)
    sent = body
    if change == "wrong secret":
        headers = _headers(body, secret="someone else's secret")
    elif change == "body changed after signing":
        sent = body.replace(b"Finished", b"Failed!!")
    elif change == "no signature":
        del headers["FS-Signature"]
    elif change == "too old":
        headers = _headers(body, timestamp=NOW - 301)
    elif change == "from the future":
        headers = _headers(body, timestamp=NOW + 301)
    with followers.watch("job-b") as watch:
        answer = await client.post(WEBHOOK_PATH, content=sent, headers=headers)
        assert answer.status_code == status and words in answer.json()["error"]
        assert watch.events == 0


async def test_a_replayed_webhook_is_refused(site) -> None:
    client, followers = site
    body = _body("job-c")
    headers = _headers(body)
    with followers.watch("job-c") as watch:
        assert (await client.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200
        again = await client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert again.status_code == 409 and "replay" in again.json()["error"]
        assert watch.events == 1
        # Filestack's own retry is signed anew (a new timestamp): it is no replay.
        retry = _headers(body, timestamp=NOW + 5)
        assert (await client.post(WEBHOOK_PATH, content=body, headers=retry)).status_code == 200


async def test_replays_are_forgotten_only_after_the_window() -> None:
    now = [0.0]
    guard = MemoryReplayGuard(clock=lambda: now[0])
    assert await guard.first_time("sig", ttl_s=600)
    now[0] = 599
    assert not await guard.first_time("sig", ttl_s=600)
    now[0] = 601  # the timestamp check refuses the request by now anyway
    assert await guard.first_time("sig", ttl_s=600)


async def test_other_paths_go_to_the_app_and_a_missing_secret_turns_webhooks_off() -> None:
    endpoint = WebhookEndpoint(None, LocalJobEvents(), MemoryReplayGuard(), clock=lambda: NOW)
    app = webhook_route(endpoint)(_reflex)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/profile")).status_code == 204
        body = _body()
        off = await client.post(WEBHOOK_PATH, content=body, headers=_headers(body))
        assert off.status_code == 404 and "FILESTACK_WEBHOOK_SECRET" in off.json()["error"]
        assert (await client.get(WEBHOOK_PATH)).status_code == 405


async def test_a_webhook_naming_no_job_is_refused(site) -> None:
    client, _followers = site
    body = json.dumps({"action": "fs.upload", "text": {"url": "x"}}).encode()
    answer = await client.post(WEBHOOK_PATH, content=body, headers=_headers(body))
    assert answer.status_code == 400 and "names no job" in answer.json()["error"]


async def test_the_embedded_service_webhook_body_names_its_job(env) -> None:
    """The body the service posts for a finished job is one the endpoint reads the job from."""
    settings, service, _http = env
    job = await photo_jobs.upload(Person("ada").id, "avatar", image_bytes(600, 400), "me.jpg", settings)
    job = await photo_jobs.run_workflow(job, settings)
    record = await service.workflows.wait_for_job(job.workflow_job_id, timeout_s=30)
    assert job_id_of(json.loads(encode_body(record))) == job.workflow_job_id
