"""The Workflows REST API (beta): jobs started through it report to the workflow's webhook with
the body the beta documentation gives (``handle``, ``results`` keyed by task id,
``status: {type, text}``, ``createdAt``, ``startedAt``, ``updatedAt``, ``uuid``, ``workflow``),
not the CDN's ``fs.workflow`` body; and ``/docs`` serves the API's Swagger documentation."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from local_service import image_bytes, uploaded_handle
from workflow_support import AUTH, REST, running_workflows

from .harness import Conformance


@pytest.fixture
def hook() -> Iterator[tuple[str, list[bytes]]]:
    bodies: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


async def test_rest_job_webhook_uses_the_beta_body(tmp_path: Path, hook: tuple[str, list[bytes]]) -> None:
    url, bodies = hook
    async with running_workflows(tmp_path, allow_private_fetch=True) as running:
        handle = await uploaded_handle(running.client, image_bytes(320, 240))
        created = await running.client.post(
            f"{REST}/workflows",
            auth=AUTH,
            json={
                "name": "beta hook",
                "webhook": url,
                "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=width:64/store"}}],
            },
        )
        assert created.status_code == 201, created.text
        workflow = created.json()
        job = await running.client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": workflow["id"], "handle": handle}
        )
        assert job.status_code == 201, job.text
        job_id = job.json()["uuid"]
        await running.workflows.wait_for_job(job_id)
        await running.workflows.webhooks.wait_idle()
    assert len(bodies) == 1
    body = json.loads(bodies[0])
    assert set(body) >= {
        "handle",
        "results",
        "status",
        "createdAt",
        "startedAt",
        "updatedAt",
        "uuid",
        "workflow",
    }
    assert "action" not in body and "text" not in body
    assert body["handle"] == handle and body["uuid"] == job_id
    assert body["status"] == {"type": "done", "text": ""}
    resource = body["workflow"]
    assert (resource["id"] if isinstance(resource, dict) else resource) == workflow["id"]
    assert body["results"]["thumb"]


def test_the_beta_api_serves_its_swagger_docs(fs: Conformance) -> None:
    answer = fs.http.get("/workflows-beta/docs")
    assert answer.status_code == 200, answer.text
    text = answer.text
    assert (
        ("swagger" in text.lower() or "openapi" in text.lower()) and "/workflows" in text and "/jobs" in text
    )
