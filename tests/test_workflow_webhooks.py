"""Webhooks: signed like Filestack's, checked by an independent receiver, retried, recorded."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_service import SECRET, image_bytes, uploaded_handle
from webhook_receiver import Delivery, Receiver, receiving
from workflow_support import AUTH, FAST, REST, running_workflows


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    """A loopback receiver; ``statuses`` come from the test's parametrisation."""
    with receiving(list(getattr(request, "param", []))) as state:
        yield state


def signature_ok(secret: str, delivery: Delivery) -> bool:
    """Filestack's scheme, recomputed here: hex HMAC-SHA256 of "{FS-Timestamp}.{raw body}"."""
    message = delivery.headers["fs-timestamp"].encode() + b"." + delivery.body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, delivery.headers["fs-signature"])


async def _run_job(running: Any, definition: dict[str, Any]) -> str:
    handle = await uploaded_handle(running.client, image_bytes(320, 240))
    created = await running.client.post(f"{REST}/workflows", auth=AUTH, json=definition)
    assert created.status_code == 201, created.text
    run = await running.client.get(f"/cdn/run_workflow=id:{created.json()['id']}/{handle}")
    job_id: str = run.json()["jobid"]
    await running.workflows.wait_for_job(job_id)
    await running.workflows.webhooks.wait_idle()
    return job_id


def _thumb_workflow(webhook: str, **extra: Any) -> dict[str, Any]:
    return {
        "name": "thumb with webhook",
        "tasks": [
            {"id": "thumb", "action": "process", "params": {"tasks": "resize=width:64/store=location:s3"}}
        ],
        "webhook": webhook,
        **extra,
    }


async def test_the_webhook_body_is_signed_with_the_app_secret(tmp_path: Path, receiver: Receiver) -> None:
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        job_id = await _run_job(running, _thumb_workflow(receiver.url))
    assert len(receiver.deliveries) == 1
    delivery = receiver.deliveries[0]
    assert signature_ok(SECRET, delivery)
    assert not signature_ok("some other secret", delivery)
    assert delivery.headers["content-type"] == "application/json"
    payload = json.loads(delivery.body)
    assert list(payload) == ["id", "action", "timestamp", "text"]
    assert payload["action"] == "fs.workflow" and isinstance(payload["id"], int)
    assert isinstance(payload["timestamp"], int)
    text = payload["text"]
    assert list(text) == ["jobid", "workflow", "createdAt", "updatedAt", "sources", "results", "status"]
    assert text["jobid"] == job_id and text["status"] == "Finished"
    assert text["results"]["thumb"]["data"]["width"] == 64


async def test_a_workflow_secret_signs_its_webhooks(tmp_path: Path, receiver: Receiver) -> None:
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        await _run_job(running, _thumb_workflow(receiver.url, webhook_secret="per-webhook-secret"))
    assert signature_ok("per-webhook-secret", receiver.deliveries[0])
    assert not signature_ok(SECRET, receiver.deliveries[0])


async def test_a_job_read_as_finished_has_its_webhook_delivery_under_way(
    tmp_path: Path, receiver: Receiver
) -> None:
    """On a busy machine the end of a job is handled a while after its status is written."""
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        engine = running.workflows.engine
        notify = engine.on_finished
        assert notify is not None

        async def late_notify(job: Any) -> None:
            await asyncio.sleep(0.5)  # a loaded machine, not a wait for anything
            await notify(job)

        engine.on_finished = late_notify
        await _run_job(running, _thumb_workflow(receiver.url))
    assert len(receiver.deliveries) == 1


@pytest.mark.parametrize("receiver", [[500, 500]], indirect=True)
async def test_failed_deliveries_are_retried_and_every_attempt_recorded(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        job_id = await _run_job(running, _thumb_workflow(receiver.url))
        listed = await running.client.get(f"{REST}/jobs/{job_id}/webhooks", auth=AUTH)
    assert len(receiver.deliveries) == 3
    assert all(signature_ok(SECRET, delivery) for delivery in receiver.deliveries)
    assert len({delivery.body for delivery in receiver.deliveries}) == 1
    body = listed.json()
    assert body["jobid"] == job_id and body["webhook"] == receiver.url
    attempts = body["attempts"]
    assert [(a["attempt"], a["statusCode"], a["delivered"]) for a in attempts] == [
        (1, 500, False),
        (2, 500, False),
        (3, 200, True),
    ]
    assert attempts[0]["error"] == "answered HTTP 500" and attempts[2]["error"] is None


async def test_an_unreachable_webhook_gives_up_after_the_configured_attempts(tmp_path: Path) -> None:
    settings = FAST.model_copy(update={"webhook_attempts": 3, "webhook_timeout_s": 2.0})
    async with running_workflows(tmp_path, settings, allow_private_fetch=True) as running:
        job_id = await _run_job(running, _thumb_workflow("http://127.0.0.1:9/closed"))
        attempts = await running.workflows.webhook_attempts(job_id)
        status = await running.client.get(f"/cdn/workflow_status=job_id:{job_id}")
    assert len(attempts) == 3 and not any(a.delivered for a in attempts)
    assert all(a.status_code is None and a.error for a in attempts)
    assert status.json()["status"] == "Finished"  # the job itself is unaffected


async def test_webhooks_to_private_addresses_are_refused_unless_allowed(
    tmp_path: Path, receiver: Receiver
) -> None:
    async with running_workflows(tmp_path) as running:
        job_id = await _run_job(running, _thumb_workflow(receiver.url))
        attempts = await running.workflows.webhook_attempts(job_id)
    assert receiver.deliveries == []
    assert len(attempts) == 1
    assert attempts[0].error is not None and "refusing to fetch from loopback address" in attempts[0].error


async def test_a_failed_job_posts_its_error(tmp_path: Path, receiver: Receiver) -> None:
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        running.workflows.actions.unregister("ocr")
        await _run_job(running, {"name": "ocr", "tasks": [{"action": "ocr"}], "webhook": receiver.url})
    text = json.loads(receiver.deliveries[0].body)["text"]
    assert text["status"] == "Failed"
    assert text["error"] == "task 'ocr' failed: action 'ocr' is not available in this service"
