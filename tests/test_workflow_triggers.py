"""Upload triggers: a file arriving by any path starts each matching workflow once, and only those.

Simple store, store from a URL, multipart upload and the CDN's ``store`` task all end in the same
function; a workflow's ``upload`` trigger matches on the new file's facts (type, size, size in
pixels, name, storage path); the job records what started it; asking again for the same file
(a retried request, a restart) starts nothing new. The REST API refuses bad triggers by name.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from local_service import API_KEY, CannedResponse, LoopbackServer, image_bytes, upload
from workflow_support import AUTH, REST, running_workflows

from dashboard.local_filestack.workflows.api.cdn import file_facts
from dashboard.local_filestack.workflows.model.triggers import Arrival, FileFacts, matching_trigger
from dashboard.local_filestack.workflows.model.workflow import (
    WorkflowValidationError,
    parse_workflow,
)

INCOMING = {
    "event": "upload",
    "constraints": [
        {"type": "includes", "value": "image/", "path": ["mimetype"]},
        {"type": "includes", "value": "incoming/", "path": ["path"]},
        {"type": "gt", "value": 100, "path": ["width"]},
    ],
}
THUMB_WORKFLOW = {
    "name": "thumbs of incoming images",
    "triggers": [INCOMING],
    "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=width:32"}}],
}


async def _create(client: httpx.AsyncClient, definition: dict[str, Any]) -> str:
    created = await client.post(f"{REST}/workflows", auth=AUTH, json=definition)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def _jobs_of(client: httpx.AsyncClient, workflow_id: str) -> list[dict[str, Any]]:
    listed = await client.get(f"{REST}/jobs", auth=AUTH, params={"workflow": workflow_id})
    assert listed.status_code == 200, listed.text
    return list(listed.json())


# -- the pure matching -----------------------------------------------------------


def _facts(**overrides: Any) -> FileFacts:
    values: dict[str, Any] = {
        "handle": "h" * 20,
        "mimetype": "image/jpeg",
        "size": 5000,
        "width": 640,
        "height": 480,
        "filename": "cat.jpg",
        "path": "incoming/cat.jpg",
    }
    return FileFacts(**{**values, **overrides})


def test_constraints_decide_which_trigger_matches() -> None:
    workflow = parse_workflow(THUMB_WORKFLOW)

    assert matching_trigger(workflow, "upload", _facts()) == (0, workflow.triggers[0])
    assert matching_trigger(workflow, "upload", _facts(mimetype="application/pdf")) is None
    assert matching_trigger(workflow, "upload", _facts(path="other/cat.jpg")) is None
    assert matching_trigger(workflow, "upload", _facts(width=80)) is None
    assert matching_trigger(workflow, "upload", _facts(width=None)) is None  # not an image: no width


def test_a_trigger_without_constraints_matches_every_upload() -> None:
    workflow = parse_workflow({**THUMB_WORKFLOW, "triggers": [{"event": "upload"}]})

    assert matching_trigger(workflow, "upload", _facts(mimetype="text/plain", width=None)) is not None


@pytest.mark.parametrize(
    ("triggers", "message"),
    [
        ([{"event": "download"}], "triggers[0].event"),
        ([{"event": "upload", "constraints": [{"type": "gt", "value": 1}]}], "needs a path naming one of"),
        (
            [{"event": "upload", "constraints": [{"type": "gt", "value": 1, "path": ["colour"]}]}],
            "'colour', which is not a fact of an uploaded file",
        ),
        (
            [{"event": "upload", "constraints": [{"type": "lt", "value": "big", "path": ["size"]}]}],
            "condition lt needs a numeric value",
        ),
        ([{"event": "upload", "when": "now"}], "triggers[0].when"),
    ],
)
def test_bad_triggers_are_refused_by_name(triggers: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(WorkflowValidationError, match="invalid workflow") as raised:
        parse_workflow({**THUMB_WORKFLOW, "triggers": triggers})
    assert message in str(raised.value)


# -- every arrival path ----------------------------------------------------------


async def _simple(client: httpx.AsyncClient, path: str) -> httpx.Response:
    return await upload(client, image_bytes(300, 200), path=path)


async def _multipart(client: httpx.AsyncClient, path: str) -> httpx.Response:
    data = image_bytes(300, 200, "PNG")
    store = {"location": "s3", "path": path}
    start = await client.post(
        "/upload/multipart/start",
        json={
            "apikey": API_KEY,
            "filename": "pic.png",
            "mimetype": "image/png",
            "size": len(data),
            "store": store,
        },
    )
    assert start.status_code == 200, start.text
    begun = start.json()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    target = await client.post(
        "/upload/multipart/upload",
        json={
            "apikey": API_KEY,
            "part": 1,
            "size": len(data),
            "md5": md5,
            "uri": begun["uri"],
            "region": begun["region"],
            "upload_id": begun["upload_id"],
            "store": store,
        },
    )
    assert target.status_code == 200, target.text
    put = await client.put(target.json()["url"], content=data, headers=target.json()["headers"])
    assert put.status_code == 200, put.text
    return await client.post(
        "/upload/multipart/complete",
        json={
            "apikey": API_KEY,
            "uri": begun["uri"],
            "region": "local",
            "upload_id": begun["upload_id"],
            "filename": "pic.png",
            "mimetype": "image/png",
            "size": len(data),
            "store": store,
            "parts": [{"part_number": 1, "etag": put.headers["etag"]}],
        },
    )


async def _cdn_store(client: httpx.AsyncClient, path: str) -> httpx.Response:
    staged = await upload(client, image_bytes(600, 400), path="staging/")
    assert staged.status_code == 200 and "workflows" not in staged.json()
    return await client.post(f'/cdn/{API_KEY}/resize=width:300/store=path:"{path}"/{staged.json()["handle"]}')


ARRIVALS = {Arrival.STORE: _simple, Arrival.MULTIPART: _multipart, Arrival.CDN_STORE: _cdn_store}


@pytest.mark.parametrize("arrival", list(ARRIVALS))
async def test_a_matching_upload_starts_one_job_and_another_none(tmp_path: Path, arrival: Arrival) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        workflow_id = await _create(client, THUMB_WORKFLOW)

        elsewhere = await ARRIVALS[arrival](client, "elsewhere/")
        assert elsewhere.status_code == 200, elsewhere.text
        assert "workflows" not in elsewhere.json()
        matching = await ARRIVALS[arrival](client, "incoming/")
        assert matching.status_code == 200, matching.text
        handle = matching.json()["handle"]

        started = matching.json()["workflows"]
        assert len(started) == 1 and started[0]["id"] == workflow_id
        done = await running.workflows.wait_for_job(started[0]["jobid"])
        assert done.status.value == "done", done.status_text
        jobs = await _jobs_of(client, workflow_id)
        assert [job["uuid"] for job in jobs] == [started[0]["jobid"]]
        trigger = jobs[0]["trigger"]
        assert trigger["arrival"] == arrival.value and trigger["handle"] == handle
        assert trigger["trigger"] == 0 and trigger["constraints"] == INCOMING["constraints"]
        assert trigger["file"]["path"].startswith("incoming/") and trigger["file"]["width"] == 300
        assert jobs[0]["handle"] == handle and jobs[0]["results"]["thumb"]["data"]["width"] == 32


async def test_a_file_stored_from_a_url_starts_its_job(tmp_path: Path) -> None:
    png = image_bytes(300, 200, "PNG")
    async with (
        LoopbackServer({"/cat.png": CannedResponse(png)}) as server,
        running_workflows(tmp_path, allow_private_fetch=True) as running,
    ):
        client = running.client
        workflow_id = await _create(client, THUMB_WORKFLOW)
        query = {"key": API_KEY, "path": "incoming/"}
        stored = await client.post("/www/api/store/S3", params=query, data={"url": server.url("/cat.png")})
        assert stored.status_code == 200, stored.text
        other = await client.post(
            "/www/api/store/S3", params={**query, "path": "other/"}, data={"url": server.url("/cat.png")}
        )
        assert "workflows" not in other.json()

        [started] = stored.json()["workflows"]
        await running.workflows.wait_for_job(started["jobid"])
        [job] = await _jobs_of(client, workflow_id)
        assert job["uuid"] == started["jobid"] and job["trigger"]["arrival"] == "url"


async def test_the_same_file_arriving_again_starts_nothing_new(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        workflow_id = await _create(client, THUMB_WORKFLOW)
        first = await _simple(client, "incoming/")
        [started] = first.json()["workflows"]
        record = running.workflows.storage.get(first.json()["handle"])

        again = await running.workflows.file_arrived(file_facts(record), Arrival.STORE)
        from_another_path = await running.workflows.file_arrived(file_facts(record), Arrival.CDN_STORE)

        assert [job.id for job in again] == [started["jobid"]]
        assert [job.id for job in from_another_path] == [started["jobid"]]
        assert len(await _jobs_of(client, workflow_id)) == 1


async def test_a_workflow_named_at_upload_and_triggered_runs_once(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        workflow_id = await _create(client, THUMB_WORKFLOW)
        stored = await client.post(
            "/cdn/"
            + API_KEY
            + f'/store=path:"incoming/",workflows:["{workflow_id}"]/'
            + (await upload(client, image_bytes(300, 200), path="staging/")).json()["handle"]
        )
        assert stored.status_code == 200, stored.text
        assert len(stored.json()["workflows"]) == 1
        assert len(await _jobs_of(client, workflow_id)) == 1


async def test_the_rest_api_names_a_bad_trigger(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        bad = {
            **THUMB_WORKFLOW,
            "triggers": [{"event": "upload", "constraints": [{"type": "gt", "value": 1}]}],
        }
        refused = await running.client.post(f"{REST}/workflows", auth=AUTH, json=bad)
        assert refused.status_code == 400
        assert "triggers[0].constraints" in refused.json()["error"]
        assert (
            "needs a path naming one of: mimetype, size, width, height, filename, path"
            in refused.json()["error"]
        )

        workflow_id = await _create(running.client, THUMB_WORKFLOW)
        shown = (await running.client.get(f"{REST}/workflows/{workflow_id}", auth=AUTH)).json()
        assert shown["triggers"] == [INCOMING]


# -- a multipart upload interrupted ----------------------------------------------


async def _begin_multipart(client: httpx.AsyncClient, data: bytes, store: dict[str, Any]) -> dict[str, Any]:
    """Start an upload and send its one part; the ``complete`` body to send."""
    start = await client.post(
        "/upload/multipart/start",
        json={
            "apikey": API_KEY,
            "filename": "pic.png",
            "mimetype": "image/png",
            "size": len(data),
            "store": store,
        },
    )
    begun = start.json()
    md5 = base64.b64encode(hashlib.md5(data).digest()).decode()
    session = {
        "apikey": API_KEY,
        "uri": begun["uri"],
        "region": begun["region"],
        "upload_id": begun["upload_id"],
    }
    target = await client.post(
        "/upload/multipart/upload", json={**session, "part": 1, "size": len(data), "md5": md5, "store": store}
    )
    put = await client.put(target.json()["url"], content=data, headers=target.json()["headers"])
    assert put.status_code == 200, put.text
    return {
        **session,
        "filename": "pic.png",
        "mimetype": "image/png",
        "size": len(data),
        "store": store,
        "parts": [{"part_number": 1, "etag": put.headers["etag"]}],
    }


async def test_a_restart_between_the_parts_and_complete_starts_one_job(tmp_path: Path) -> None:
    store = {"location": "s3", "path": "incoming/"}
    async with running_workflows(tmp_path) as running:
        workflow_id = await _create(running.client, THUMB_WORKFLOW)
        complete = await _begin_multipart(running.client, image_bytes(300, 200, "PNG"), store)
    async with running_workflows(tmp_path) as running:  # the service restarted mid-upload
        done = await running.client.post("/upload/multipart/complete", json=complete)
        assert done.status_code == 200, done.text
        [started] = done.json()["workflows"]
        await running.workflows.wait_for_job(started["jobid"])
        assert [job["uuid"] for job in await _jobs_of(running.client, workflow_id)] == [started["jobid"]]


async def test_a_complete_repeated_after_a_failure_stores_one_file_and_starts_one_job(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = {"location": "s3", "path": "incoming/"}
    async with running_workflows(tmp_path) as running:
        client = running.client
        workflow_id = await _create(client, THUMB_WORKFLOW)
        complete = await _begin_multipart(client, image_bytes(300, 200, "PNG"), store)
        multipart = running.service.multipart
        discard = multipart.discard
        failures = ["the process died before the session was cleared"]

        def dying_discard(upload_id: str) -> None:
            if failures:
                raise OSError(failures.pop())
            discard(upload_id)

        monkeypatch.setattr(multipart, "discard", dying_discard)
        first = await client.post("/upload/multipart/complete", json=complete)
        again = await client.post("/upload/multipart/complete", json=complete)

        assert first.status_code == 500
        assert again.status_code == 200, again.text
        [started] = again.json()["workflows"]
        await running.workflows.wait_for_job(started["jobid"])
        assert [job["uuid"] for job in await _jobs_of(client, workflow_id)] == [started["jobid"]]
        keys = [str(row[0]) for row in running.workflows.storage.index.db.query("SELECT key FROM files")]
        assert len([key for key in keys if key.startswith("incoming/")]) == 1
        gone = await client.post("/upload/multipart/complete", json=complete)
        assert gone.status_code in (400, 404)
