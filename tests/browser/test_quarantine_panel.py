"""The jobs console in a real browser: an upload starts a workflow through its trigger and is held
in quarantine; the job's page says what started it; the admin sees why the file is held, releases
it, and the CDN serves the file again."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from dashboard.filestack_protocol.security import scoped_security

from .conftest import QUARANTINE_ADMIN
from .steps import sign_up

pytestmark = pytest.mark.browser


def _credentials(running_app: Any) -> tuple[str, str]:
    data = json.loads((Path(running_app.log).parent / "filestack" / "credentials.json").read_text())
    return data["api_key"], data["app_secret"]


def _held_upload(running_app: Any, reason: str) -> tuple[str, str]:
    """An upload under ``review/`` that a triggered workflow holds in quarantine: (handle, job)."""
    api_key, secret = _credentials(running_app)
    auth = (api_key, secret)
    rest = f"{running_app.backend}/workflows-beta"
    workflow = httpx.post(
        f"{rest}/workflows",
        auth=auth,
        json={
            "name": "Hold uploads for review",
            "triggers": [
                {
                    "event": "upload",
                    "constraints": [{"type": "includes", "value": "review/", "path": ["path"]}],
                }
            ],
            "tasks": [{"id": "hold", "action": "quarantine", "params": {"reason": reason}}],
        },
        timeout=30,
    )
    assert workflow.status_code == 201, workflow.text
    stored = httpx.post(
        f"{running_app.backend}/www/api/store/S3",
        params={
            "key": api_key,
            "filename": "held.txt",
            "path": "review/",
            **scoped_security(secret, calls=["store"]).as_query(),
        },
        content=b"a file to hold",
        timeout=30,
    )
    assert stored.status_code == 200, stored.text
    [started] = stored.json()["workflows"]
    for _ in range(600):
        body = httpx.get(f"{rest}/jobs/{started['jobid']}", auth=auth, timeout=30).json()
        if body["status"]["type"] in ("done", "failed"):
            break
    assert body["status"]["type"] == "done", body
    return stored.json()["handle"], started["jobid"]


def _cdn(running_app: Any, handle: str) -> httpx.Response:
    _api_key, secret = _credentials(running_app)
    read = scoped_security(secret, calls=["read"], handle=handle)
    return httpx.get(
        f"{running_app.backend}/cdn/security=p:{read.policy},s:{read.signature}/{handle}", timeout=30
    )


def test_an_admin_releases_a_held_upload_from_the_jobs_console(running_app, browser, artifacts):
    handle, job = _held_upload(running_app, "waiting for a person to look")
    held = _cdn(running_app, handle)
    assert held.status_code == 403 and "quarantine" in held.json()["error"]
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, QUARANTINE_ADMIN)
    page.goto(f"{running_app.frontend}/jobs/{job}", timeout=120_000)
    page.wait_for_selector("#job-trigger", timeout=60_000)
    assert page.locator("#job-trigger").text_content() == (
        f'Started by a file stored (handle {handle}), matching trigger 1: path includes "review/"'
    )
    page.screenshot(path=str(artifacts / "job-triggered-1280.png"), full_page=True)
    page.goto(f"{running_app.frontend}/jobs", timeout=120_000)

    row = page.locator(f"#held-{handle}")
    row.wait_for(timeout=60_000)
    assert "waiting for a person to look" in row.text_content()
    assert "held.txt" in row.text_content()
    page.locator("#quarantine").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts / "jobs-quarantine-1280.png"), full_page=True)

    page.click(f"#release-{handle}")
    page.wait_for_selector("#quarantine-notice", timeout=60_000)
    assert page.locator("#quarantine-notice").text_content() == f"Released {handle}: it is served again."
    assert page.locator(f"#held-{handle}").count() == 0
    assert _cdn(running_app, handle).content == b"a file to hold"
    context.close()
