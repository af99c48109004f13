"""The workflow APIs over HTTP: the CDN's run_workflow/workflow_status and the REST API."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from local_service import API_KEY, decoded_size, image_bytes, policy, uploaded_handle
from pydantic import BaseModel
from workflow_support import (
    AUTH,
    FAST,
    PROFILE_ID,
    REST,
    nap,
    nap_contract,
    nap_task,
    photo_like,
    poll_status,
    running_workflows,
)

from dashboard.local_filestack.workflows.engine.actions import ActionContext

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$")
REST_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
RUN_KEYS = ["createdAt", "jobid", "sources", "status", "updatedAt", "workflow"]
STATUS_KEYS = ["createdAt", "jobid", "results", "sources", "status", "ttl", "updatedAt", "workflow"]


@pytest.fixture
def nap_action() -> Iterator[None]:
    with nap_contract():
        yield


# -- the seed's full flow ---------------------------------------------------------


async def test_profile_picture_end_to_end_over_http(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, image_bytes(1600, 1200), filename="me.jpg")
        run = await client.get(f"/cdn/run_workflow=id:{PROFILE_ID}/{handle}")
        assert run.status_code == 200, run.text
        started = run.json()
        assert list(started) == RUN_KEYS
        assert started["status"] == "Started" and started["sources"] == [handle]
        assert started["workflow"] == PROFILE_ID
        assert STAMP.match(started["createdAt"]) and STAMP.match(started["updatedAt"])

        status = await poll_status(client, started["jobid"])
        assert list(status)[: len(STATUS_KEYS)] == STATUS_KEYS
        assert list(status)[len(STATUS_KEYS) :] == ["tasks"]
        assert status["status"] == "Finished" and status["ttl"] == 172800
        avatar_task = status["tasks"]["avatar"]
        assert list(status["tasks"]) == ["avatar"] and avatar_task["state"] == "done"
        assert avatar_task["reason"] is None
        assert STAMP.match(avatar_task["startedAt"]) and STAMP.match(avatar_task["finishedAt"])
        assert avatar_task["startedAt"] <= avatar_task["finishedAt"]
        avatar = status["results"]["avatar"]["data"]
        assert avatar["url"] == f"http://testserver/cdn/{avatar['handle']}"
        assert avatar["key"] == f"avatars/{avatar['handle']}_me.jpg"
        assert (avatar["width"], avatar["height"], avatar["mimetype"]) == (400, 400, "image/jpeg")

        served = await client.get(avatar["url"])
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
        assert decoded_size(served.content) == (400, 400)

        removal = policy(call=["remove"], handle=handle)
        deleted = await client.delete(
            f"/www/api/file/{handle}", params={"key": API_KEY, **removal.as_query()}
        )
        assert deleted.status_code == 200, deleted.text
        assert (await client.get(f"/cdn/{handle}")).status_code == 404
        again = await client.get(avatar["url"])
        assert again.status_code == 200 and again.content == served.content


async def test_profile_flow_on_a_12_megapixel_photo(tmp_path: Path) -> None:
    # How long it takes is measured in bench/bench_profile_flow.py (BENCHMARKS.md).
    photo = photo_like(4000, 3000)  # 12 MP, about 5 MB
    async with running_workflows(tmp_path) as running:
        handle = await uploaded_handle(running.client, photo)
        run = await running.client.get(f"/cdn/run_workflow=id:{PROFILE_ID}/{handle}")
        status = await poll_status(running.client, run.json()["jobid"], timeout_s=180)
    assert status["status"] == "Finished", status
    assert status["results"]["avatar"]["data"]["width"] == 400


# -- CDN API ------------------------------------------------------------------------


async def test_run_workflow_needs_a_policy_allowing_run_workflow(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, image_bytes(50, 50))
        read_only = policy(call=["read"]).as_task()
        refused = await client.get(f"/cdn/{read_only}/run_workflow=id:{PROFILE_ID}/{handle}")
        assert refused.status_code == 403
        assert refused.json() == {"error": "policy does not allow call 'runWorkflow'"}
        allowed = await client.get(
            f"/cdn/{policy(call=['runWorkflow']).as_task()}/run_workflow=id:{PROFILE_ID}/{handle}"
        )
        assert allowed.status_code == 200, allowed.text
        status = await client.get(
            f"/cdn/{API_KEY}/{policy(call=['runWorkflow']).as_task()}/workflow_status=job_id:{allowed.json()['jobid']}"
        )
        assert status.status_code == 200
        unknown = await client.get(f"/cdn/run_workflow=id:00000000-0000-4000-8000-000000000000/{handle}")
        assert (unknown.status_code, unknown.json()) == (404, {"error": "workflow not found"})
        no_file = await client.get(f"/cdn/run_workflow=id:{PROFILE_ID}/AAAAAAAAAAAAAAAAAAAA")
        assert no_file.status_code == 404
        no_job = await client.get("/cdn/workflow_status=job_id:00000000-0000-4000-8000-000000000000")
        assert (no_job.status_code, no_job.json()) == (404, {"error": "job not found"})


async def test_security_on_refuses_run_workflow_without_a_policy(tmp_path: Path) -> None:
    async with running_workflows(tmp_path, require_security=True) as running:
        handle = await uploaded_handle(
            running.client, image_bytes(50, 50), **policy(call=["store"]).as_query()
        )
        refused = await running.client.get(f"/cdn/run_workflow=id:{PROFILE_ID}/{handle}")
        assert refused.status_code == 403


async def test_url_sources_need_the_service_api_key(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        url = "https://example.com/photo.jpg"
        without_key = await running.client.get(f"/cdn/run_workflow=id:{PROFILE_ID}/{url}")
        assert without_key.status_code == 400
        wrong_key = await running.client.get(f"/cdn/WRONGKEYabcdefghijkl/run_workflow=id:{PROFILE_ID}/{url}")
        assert wrong_key.status_code in (400, 403)


async def test_a_failed_job_reports_its_error(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.actions.unregister("ocr")
        handle = await uploaded_handle(running.client, image_bytes(50, 50))
        created = await running.client.post(
            f"{REST}/workflows", auth=AUTH, json={"name": "text", "tasks": [{"action": "ocr"}]}
        )
        run = await running.client.get(f"/cdn/run_workflow=id:{created.json()['id']}/{handle}")
        status = await poll_status(running.client, run.json()["jobid"])
    assert status["status"] == "Failed"
    assert status["error"] == "task 'ocr' failed: action 'ocr' is not available in this service"
    assert status["results"] == {"ocr": {"error": "action 'ocr' is not available in this service"}}
    assert list(status) == [*STATUS_KEYS, "error", "tasks"]


async def test_a_full_queue_answers_429_on_both_apis(tmp_path: Path, nap_action: None) -> None:
    settings = FAST.model_copy(update={"queue_size": 1, "runners": 1})
    release = asyncio.Event()

    async def hold(context: ActionContext, params: BaseModel) -> dict[str, Any]:
        await release.wait()
        return await nap(context, params)

    async with running_workflows(tmp_path, settings) as running:
        running.workflows.register_function("nap", hold)
        client = running.client
        handle = await uploaded_handle(client, image_bytes(50, 50))
        created = await client.post(
            f"{REST}/workflows", auth=AUTH, json={"name": "hold", "tasks": [nap_task("n", 0.0)]}
        )
        workflow = created.json()["id"]
        first = await client.get(f"/cdn/run_workflow=id:{workflow}/{handle}")
        while (await running.workflows.get_job(first.json()["jobid"])).status.value != "running":
            await asyncio.sleep(0.01)
        waiting = await client.get(f"/cdn/run_workflow=id:{workflow}/{handle}")
        assert waiting.status_code == 200
        full = await client.get(f"/cdn/run_workflow=id:{workflow}/{handle}")
        assert (full.status_code, full.json()) == (429, {"error": "job queue is full, retry later"})
        rest_full = await client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": workflow, "handle": handle}
        )
        assert (rest_full.status_code, rest_full.json()) == (429, {"error": "job queue is full, retry later"})
        release.set()
        for job in (first, waiting):
            assert (await poll_status(client, job.json()["jobid"]))["status"] == "Finished"
        recent = await client.get(f"{REST}/jobs", auth=AUTH, params={"workflow": workflow})
        assert len(recent.json()) == 2  # refused jobs leave no trace


# -- REST API -----------------------------------------------------------------------


async def test_rest_api_needs_the_api_key_and_secret(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        for auth in (None, (API_KEY, "guess"), ("app", AUTH[1])):
            response = await running.client.get(f"{REST}/workflows", auth=auth)
            assert response.status_code == 401
            assert response.headers["www-authenticate"].startswith("Basic")
        assert (await running.client.get(f"{REST}/workflows", auth=AUTH)).status_code == 200


async def test_tasks_lists_the_action_contracts(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        response = await running.client.get(f"{REST}/tasks", auth=AUTH)
    names = {contract["name"] for contract in response.json()}
    assert {"process", "store", "delete", "sfw", "ocr", "tags", "copyright"} <= names
    process = next(contract for contract in response.json() if contract["name"] == "process")
    assert "tasks" in process["params"]["properties"]


async def test_workflows_crud_and_shipped_workflows(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        listed = (await client.get(f"{REST}/workflows", auth=AUTH)).json()
        assert {w["name"] for w in listed} >= {"Profile picture", "Cover photo", "deleteNSFW"}
        definition = {
            "name": "thumbs",
            "tasks": [{"id": "small", "action": "process", "params": {"tasks": "resize=width:100"}}],
            "webhook": "https://example.com/hook",
            "webhook_secret": "shh",
        }
        created = await client.post(f"{REST}/workflows", auth=AUTH, json=definition)
        assert created.status_code == 201, created.text
        body = created.json()
        assert body["id"] == body["uuid"] and re.match(r"^[0-9a-f-]{36}$", body["uuid"])
        assert body["name"] == "thumbs" and body["webhook"] == "https://example.com/hook"
        assert "webhook_secret" not in body and REST_STAMP.match(body["createdAt"])
        item = f"{REST}/workflows/{body['uuid']}"
        assert (await client.get(item, auth=AUTH)).json() == body
        renamed = await client.put(item, auth=AUTH, json={**body, "name": "thumbnails"})
        assert renamed.status_code == 200 and renamed.json()["name"] == "thumbnails"
        assert renamed.json()["createdAt"] == body["createdAt"]
        assert (await client.delete(item, auth=AUTH)).status_code == 200
        assert (await client.get(item, auth=AUTH)).json() == {"error": "workflow not found"}
        assert (await client.put(item, auth=AUTH, json=definition)).status_code == 404


@pytest.mark.parametrize(
    ("definition", "message"),
    [
        (
            {"name": "x", "tasks": [{"action": "transcode"}]},
            "task 'transcode': unknown action 'transcode'",
        ),
        (
            {
                "name": "x",
                "tasks": [
                    {"id": "a", "action": "store", "requires": [{"task": "b"}]},
                    {"id": "b", "action": "store", "requires": [{"task": "a"}]},
                ],
            },
            "cycle: a -> b -> a",
        ),
        (
            {"name": "x", "tasks": [{"action": "delete", "requires": [{"task": "nope"}]}]},
            "requires unknown task 'nope'",
        ),
        (
            {
                "name": "x",
                "tasks": [
                    {
                        "action": "delete",
                        "requires": [{"task": "sfw", "condition": {"type": "gt", "value": "fifty"}}],
                    }
                ],
            },
            "condition gt needs a numeric value",
        ),
        (
            {"name": "x", "tasks": [{"action": "store"}, {"action": "store"}]},
            "both use action 'store' without ids",
        ),
        (
            {"name": "x", "tasks": [{"action": "process", "params": {"tasks": ""}}]},
            "task 'process': invalid params",
        ),
        ({"tasks": [{"action": "store"}]}, "name"),
        (
            {"name": "x", "tasks": [{"action": "store"}], "webhook": "ftp://x"},
            "webhook must be an http or https URL",
        ),
    ],
)
async def test_invalid_workflows_are_rejected_with_the_reason(
    tmp_path: Path, definition: dict[str, Any], message: str
) -> None:
    async with running_workflows(tmp_path) as running:
        response = await running.client.post(f"{REST}/workflows", auth=AUTH, json=definition)
    assert response.status_code == 400
    assert message in response.json()["error"]


async def test_rest_jobs_start_report_and_list(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, image_bytes(640, 480))
        started = await client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": PROFILE_ID, "handle": handle}
        )
        assert started.status_code == 201, started.text
        job = started.json()
        assert job["status"] == {"type": "pending", "text": ""}
        assert job["handle"] == handle and job["workflow"]["id"] == PROFILE_ID
        while job["status"]["type"] in ("pending", "running"):
            await asyncio.sleep(0.05)
            job = (await client.get(f"{REST}/jobs/{job['uuid']}", auth=AUTH)).json()
        assert list(job) == [
            "handle",
            "results",
            "status",
            "createdAt",
            "startedAt",
            "updatedAt",
            "uuid",
            "workflow",
            "tasks",
            "replayOf",
            "cancelledBy",
            "trigger",
            "replays",
        ]
        assert job["replayOf"] is None and job["cancelledBy"] is None and job["replays"] == []
        assert job["status"] == {"type": "done", "text": ""}
        assert job["results"]["avatar"]["data"]["width"] == 400
        assert REST_STAMP.match(job["startedAt"])

        second = (
            await client.post(f"{REST}/jobs", auth=AUTH, json={"workflow": PROFILE_ID, "handle": handle})
        ).json()
        recent = (
            await client.get(f"{REST}/jobs", auth=AUTH, params={"workflow": PROFILE_ID, "limit": 5})
        ).json()
        assert [j["uuid"] for j in recent] == [second["uuid"], job["uuid"]]
        assert len((await client.get(f"{REST}/jobs", auth=AUTH, params={"limit": 1})).json()) == 1
        assert (await client.get(f"{REST}/jobs", auth=AUTH, params={"limit": 0})).status_code == 400
        in_process = await running.workflows.list_recent_jobs(PROFILE_ID)
        assert [str(j.uuid) for j in in_process] == [second["uuid"], job["uuid"]]

        missing_file = await client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": PROFILE_ID, "handle": "AAAAAAAAAAAAAAAAAAAA"}
        )
        assert missing_file.status_code == 404
        missing_workflow = await client.post(
            f"{REST}/jobs",
            auth=AUTH,
            json={"workflow": "00000000-0000-4000-8000-000000000000", "handle": handle},
        )
        assert (missing_workflow.status_code, missing_workflow.json()) == (
            404,
            {"error": "workflow not found"},
        )
        both = await client.post(
            f"{REST}/jobs",
            auth=AUTH,
            json={"workflow": PROFILE_ID, "handle": handle, "url": "https://x.org/a"},
        )
        assert both.status_code == 400 and "exactly one of 'handle' and 'url'" in both.json()["error"]
        assert (await client.get(f"{REST}/jobs/not-a-job", auth=AUTH)).status_code == 404
