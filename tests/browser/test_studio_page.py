"""The workflow studio and the jobs console in a real browser, driven as a developer would."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from webhook_receiver import receiving

from dashboard.filestack_protocol.security import scoped_security

from .conftest import STUDIO_ADMIN
from .steps import new_username, sign_up

pytestmark = pytest.mark.browser

RECORD_STATES = """
(id) => {
  window.__runStates = [];
  const root = document.getElementById(id);
  const seen = () => {
    for (const li of root.querySelectorAll('li[data-state]')) {
      const entry = li.id + ':' + li.getAttribute('data-state');
      if (!window.__runStates.includes(entry)) window.__runStates.push(entry);
    }
  };
  new MutationObserver(seen).observe(root, {subtree: true, childList: true, attributes: true});
}
"""


def _credentials(running_app: Any) -> tuple[str, str]:
    data = json.loads((Path(running_app.log).parent / "filestack" / "credentials.json").read_text())
    return data["api_key"], data["app_secret"]


def _rest(running_app: Any, path: str, body: Any = None) -> Any:
    url, auth = f"{running_app.backend}/workflows-beta{path}", _credentials(running_app)
    if body is None:
        response = httpx.get(url, auth=auth, timeout=20)
    else:
        response = httpx.post(url, auth=auth, json=body, timeout=20)
    assert response.status_code in (200, 201), response.text
    return response.json()


@pytest.fixture(scope="module")
def admin(running_app, browser):
    """A browser context signed in as the admin ``ADMIN_USERNAMES`` names."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, STUDIO_ADMIN)
    page.close()
    yield context
    context.close()


def _type(page: Any, selector: str, text: str) -> None:
    """Type into a field and leave it, as a person moving on to the next field."""
    page.fill(selector, text)
    page.press(selector, "Tab")


def _screenshot(page: Any, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(path), full_page=True)


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"


def test_build_a_workflow_in_the_forms_run_it_on_a_sample_and_find_its_job(running_app, admin, artifacts):
    with receiving() as receiver:
        page = admin.new_page()
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{running_app.frontend}/workflows", timeout=120_000)
        page.wait_for_selector("#workflow-list", timeout=120_000)
        page.click("#new-workflow")
        page.wait_for_url(re.compile(r".*/workflows/new$"))
        page.wait_for_selector("#workflow-name", timeout=60_000)

        # Two tasks, through the forms.
        _type(page, "#workflow-name", "Safe thumbnails")
        _type(page, "#workflow-webhook", receiver.url)
        page.select_option("#new-task-action", "sfw")
        page.click("#add-task")
        page.wait_for_selector("#task-0")
        page.select_option("#new-task-action", "process")
        page.click("#add-task")
        page.wait_for_selector("#task-1-param-tasks")
        _type(page, "#task-1-id", "thumb")
        _type(page, "#task-1-param-tasks", "resize=width:120/store=location:s3")

        # A condition the API refuses, shown at its field; then the right one.
        page.click("#task-1-add-requirement")
        page.wait_for_selector("#task-1-req-0-type")
        assert page.input_value("#task-1-req-0-task") == "sfw"
        page.select_option("#task-1-req-0-type", "gt")
        page.wait_for_selector("#task-1-req-0-value")
        _type(page, "#task-1-req-0-path", "sfw")
        _type(page, "#task-1-req-0-value", "many")
        page.click("#save-workflow")
        error = page.wait_for_selector("#task-1-req-0-value-error", timeout=30_000)
        assert "numeric value" in error.text_content()
        assert page.url.endswith("/workflows/new")  # nothing was created
        page.select_option("#task-1-req-0-type", "equals")
        page.wait_for_selector("#task-1-req-0-value")
        _type(page, "#task-1-req-0-value", "true")
        page.wait_for_selector("#task-1-req-0-value-error", state="detached")

        # The graph: two tasks and the condition on the edge between them.
        page.wait_for_function(
            "() => [...document.querySelectorAll('#workflow-graph .react-flow__edge-text')]"
            ".some(e => e.textContent === 'sfw = true')",
            timeout=30_000,
        )
        nodes = page.locator("#workflow-graph .react-flow__node").all_text_contents()
        assert sorted(n.splitlines()[0] for n in nodes) == ["sfw", "thumb"], nodes

        # The JSON tab shows the exact body.
        page.click("#tab-json")
        body = json.loads(page.input_value("#workflow-json"))
        expected_requires = [{"task": "sfw", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}]
        assert body["name"] == "Safe thumbnails" and body["webhook"] == receiver.url
        assert [(t["id"], t["action"]) for t in body["tasks"]] == [("sfw", "sfw"), ("thumb", "process")]
        assert body["tasks"][1]["requires"] == expected_requires
        page.click("#tab-form")

        page.click("#save-workflow")
        page.wait_for_url(re.compile(r".*/workflows/[0-9a-f-]{36}$"), timeout=30_000)
        workflow_id = page.url.rsplit("/", 1)[-1]
        stored = _rest(running_app, f"/workflows/{workflow_id}")
        assert stored["name"] == "Safe thumbnails" and stored["tasks"][1]["requires"] == expected_requires

        # A test run on a sample photo, watched live.
        page.wait_for_selector("#run-sample:not([disabled])", timeout=60_000)
        page.click("#sample-chelsea\\.jpg")
        page.evaluate(RECORD_STATES, "test-run")
        page.click("#run-sample")
        page.wait_for_selector("#run-task-thumb[data-state=done]", timeout=120_000)
        page.wait_for_selector("#run-task-sfw[data-state=done]")
        page.wait_for_function("() => document.getElementById('run-status').textContent.includes('Finished')")
        seen = page.evaluate("() => window.__runStates")
        assert "run-task-thumb:done" in seen and any(
            s.startswith("run-task-thumb:") and s != "run-task-thumb:done" for s in seen
        ), seen
        thumb = page.locator("#run-task-thumb .output-thumb img")
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumb.element_handle())
        page.click("#run-task-sfw summary")
        assert '"sfw": true' in page.locator("#run-task-sfw pre").text_content()
        # The service reports when each task started and ended: an exact time, not an observed one.
        assert re.fullmatch(r"\d+\.\d+ s", page.locator("#run-task-thumb .task-time").text_content().strip())
        graph_nodes = page.locator("#workflow-graph .react-flow__node").all_text_contents()
        assert all("done" in text for text in graph_nodes), graph_nodes
        page.wait_for_selector("[data-sonner-toast]", state="detached", timeout=30_000)
        _screenshot(page, artifacts / "studio-1280.png")

        # The job in the console, with its webhook attempt.
        job_href = page.get_attribute("#run-job-link", "href")
        job_uuid = job_href.rsplit("/", 1)[-1]
        page.goto(f"{running_app.frontend}/jobs", timeout=60_000)
        page.wait_for_selector("#jobs-table")
        page.select_option("#filter-workflow", workflow_id)
        # Only this workflow's one job is left.
        page.wait_for_function(
            "() => document.querySelectorAll('#jobs-table tbody tr').length === 1", timeout=30_000
        )
        page.wait_for_selector(f"#job-{job_uuid}")
        page.select_option("#filter-status", "failed")
        page.wait_for_selector(f"#job-{job_uuid}", state="detached")
        page.select_option("#filter-status", "done")
        page.wait_for_selector(f"#job-{job_uuid}")
        _screenshot(page, artifacts / "jobs-1280.png")
        page.click(f"#job-{job_uuid} a[href='/jobs/{job_uuid}']")
        page.wait_for_selector("#job-state[data-state=done]", timeout=60_000)
        page.wait_for_selector("#job-task-thumb .output-thumb img")
        attempts = page.wait_for_selector("#webhook-attempts .webhook-attempt", timeout=60_000)
        # The service's SSRF guard refuses loopback targets: the attempt says so, and none arrived.
        assert "refused" in attempts.text_content() and "loopback" in attempts.text_content()
        assert receiver.deliveries == []
        recorded = _rest(running_app, f"/jobs/{job_uuid}/webhooks")["attempts"]
        assert len(recorded) == page.locator("#webhook-attempts .webhook-attempt").count() == 1
        _screenshot(page, artifacts / "job-1280.png")
        assert not [e for e in console_errors if "Warning" not in e], console_errors
        page.close()

        mobile = admin.new_page()
        mobile.set_viewport_size({"width": 375, "height": 812})
        for path, ready, name in (
            (f"/workflows/{workflow_id}", "#task-1", "studio-375.png"),
            (f"/jobs/{job_uuid}", "#job-state", "job-375.png"),
            ("/jobs", "#jobs-table", "jobs-375.png"),
        ):
            mobile.goto(f"{running_app.frontend}{path}", timeout=60_000)
            mobile.wait_for_selector(ready, timeout=60_000)
            _no_sideways_scroll(mobile)
            _screenshot(mobile, artifacts / name)
        mobile.close()


def test_duplicate_and_delete_from_the_list(running_app, admin):
    page = admin.new_page()
    page.goto(f"{running_app.frontend}/workflows", timeout=120_000)
    page.wait_for_selector("#workflow-list", timeout=120_000)
    profile = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"
    page.click(f"#duplicate-{profile}")
    page.wait_for_url(re.compile(r".*/workflows/[0-9a-f-]{36}$"), timeout=30_000)
    copy_id = page.url.rsplit("/", 1)[-1]
    assert copy_id != profile
    page.wait_for_selector("#workflow-name")
    assert page.input_value("#workflow-name").startswith("Profile picture (copy")
    page.goto(f"{running_app.frontend}/workflows")
    page.wait_for_selector(f"#workflow-{copy_id}")
    page.click(f"#delete-{copy_id}")
    page.click(f"#confirm-delete-{copy_id}")
    page.wait_for_selector(f"#workflow-{copy_id}", state="detached")
    assert copy_id not in {w["id"] for w in _rest(running_app, "/workflows")}
    page.close()


def _noisy_jpeg(size: int) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.effect_noise((size, size), 60).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _slow_job(running_app: Any) -> tuple[str, str]:
    """A job that takes a long while (heavy filters on a large photo), started through the API."""
    api_key, secret = _credentials(running_app)
    security = scoped_security(secret, calls=["store"])
    stored = httpx.post(
        f"{running_app.backend}/www/api/store/S3",
        params={"key": api_key, **security.as_query()},
        content=_noisy_jpeg(3000),
        headers={"Content-Type": "image/jpeg"},
        timeout=60,
    )
    assert stored.status_code == 200, stored.text
    workflow = _rest(
        running_app,
        "/workflows",
        {
            "name": "Heavy filters",
            "tasks": [
                {
                    "id": "heavy",
                    "action": "process",
                    "params": {
                        "tasks": "blur=amount:20/sharpen=amount:20/"
                        "blur=amount:20/sharpen=amount:20/blur=amount:20/store=location:s3"
                    },
                },
                {
                    "id": "flip",
                    "action": "process",
                    "params": {"tasks": "flip/store=location:s3"},
                    "requires": [{"task": "heavy"}],
                },
            ],
        },
    )
    job = _rest(running_app, "/jobs", {"workflow": workflow["id"], "handle": stored.json()["handle"]})
    return workflow["id"], job["uuid"]


def test_cancel_a_slow_job_and_replay_it_from_its_page(running_app, admin, artifacts):
    _workflow_id, job_uuid = _slow_job(running_app)
    page = admin.new_page()
    page.goto(f"{running_app.frontend}/jobs/{job_uuid}", timeout=120_000)
    page.wait_for_selector("#job-task-heavy[data-state=running]", timeout=120_000)

    page.click("#cancel-job")
    page.wait_for_selector("#confirm-cancel-job")
    assert "running tasks are stopped" in page.locator("[role=alertdialog]").text_content()
    page.click("#confirm-cancel-job")
    page.wait_for_selector("#job-state[data-state=failed]", timeout=60_000)
    assert page.locator("#job-cancelled").text_content().strip() == f"cancelled by {STUDIO_ADMIN}"
    page.wait_for_selector("#job-task-heavy[data-state=failed]")
    assert "stopped: cancelled by" in page.locator("#job-task-heavy").text_content()
    assert page.locator("#cancel-job").count() == 0  # nothing left to cancel
    stored = _rest(running_app, f"/jobs/{job_uuid}")
    assert stored["status"] == {"type": "failed", "text": f"cancelled by {STUDIO_ADMIN}"}
    assert stored["tasks"]["flip"]["state"] == "skipped"
    page.wait_for_selector("[data-sonner-toast]", state="detached", timeout=30_000)
    _screenshot(page, artifacts / "job-cancelled-1280.png")

    page.click("#replay-job")
    page.click("#confirm-replay-job")
    page.wait_for_url(re.compile(r".*/jobs/(?!" + job_uuid + r")[0-9a-f-]{36}$"), timeout=60_000)
    replay_uuid = page.url.rsplit("/", 1)[-1]
    page.wait_for_selector("#replay-of", timeout=60_000)
    assert page.locator("#replay-of").text_content() == job_uuid
    assert _rest(running_app, f"/jobs/{replay_uuid}")["replayOf"] == job_uuid
    page.wait_for_selector("#job-task-heavy[data-state=running]", timeout=120_000)
    _screenshot(page, artifacts / "job-replay-1280.png")
    # The replay is slow too: cancel it the same way, then go back to the original.
    page.click("#cancel-job")
    page.click("#confirm-cancel-job")
    page.wait_for_selector("#job-state[data-state=failed]", timeout=60_000)
    page.click("#replay-of")
    page.wait_for_url(f"**/jobs/{job_uuid}", timeout=60_000)
    page.wait_for_selector(f"#job-replays a[href='/jobs/{replay_uuid}']", timeout=60_000)
    page.close()


def test_a_non_admin_and_a_signed_out_browser_are_refused(running_app, browser, admin, artifacts):
    viewer = browser.new_context(viewport={"width": 1280, "height": 900})
    page = viewer.new_page()
    sign_up(page, running_app, new_username("viewer"))
    for path in ("/jobs", "/workflows", "/workflows/new"):
        page.goto(f"{running_app.frontend}{path}", timeout=60_000)
        page.wait_for_selector("#not-allowed", timeout=60_000)
        assert "administrators" in page.locator("#not-allowed").text_content()
        assert page.locator("#jobs-table, #workflow-list, #workflow-name").count() == 0
    _screenshot(page, artifacts / "studio-not-allowed-1280.png")
    viewer.close()

    stranger = browser.new_context()
    page = stranger.new_page()
    page.goto(f"{running_app.frontend}/jobs?status=done", timeout=60_000)
    page.wait_for_url(re.compile(r".*/login\?next=.*jobs.*"), timeout=60_000)
    stranger.close()
