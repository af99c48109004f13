"""Quarantine: a held file is out of public reach (403 naming quarantine) until an admin releases it.

Its bytes are kept; admins list, release and delete held files under ``/workflows-beta/quarantine``
(basic auth). With ``sfw`` and a condition, a flagged upload is held instead of deleted.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from local_service import API_KEY, image_bytes, uploaded_handle
from workflow_support import AUTH, REST, running_workflows

from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.intelligence.detections import Detection
from dashboard.local_filestack.intelligence.sfw import verdict
from dashboard.local_filestack.workflows.api.openapi import QuarantineList
from dashboard.local_filestack.workflows.engine.actions.intelligence import AnalysisAction
from dashboard.local_filestack.workflows.model.jobs import JobStatus
from dashboard.local_filestack.workflows.model.workflow import TaskState

HOLD = {
    "name": "hold everything",
    "tasks": [{"id": "hold", "action": "quarantine", "params": {"reason": "under review"}}],
}
HOLD_FLAGGED = {
    "name": "hold flagged uploads",
    "tasks": [
        {
            "id": "hold",
            "action": "quarantine",
            "params": {"reason": "flagged as not safe for work"},
            "requires": [{"task": "sfw", "condition": {"type": "gt", "value": 50, "path": ["nsfw"]}}],
        }
    ],
}


def forced_high_sfw(data: bytes, limits: Limits) -> dict[str, Any]:
    """The real verdict on a detector result forced to an exposed class at 97 % (runs in the pool)."""
    return verdict(
        [Detection(label="FEMALE_BREAST_EXPOSED", score=0.97, x=0, y=0, width=8, height=8)]
    ).model_dump()


async def _public_answers(client: httpx.AsyncClient, handle: str) -> dict[str, httpx.Response]:
    return {
        "cdn": await client.get(f"/cdn/{handle}"),
        "cdn render": await client.get(f"/cdn/resize=width:50/{handle}"),
        "cdn metadata": await client.get(f"/cdn/{handle}/metadata"),
        "file api": await client.get(f"/www/api/file/{handle}"),
        "file api metadata": await client.get(f"/www/api/file/{handle}/metadata"),
        "watermark": await client.get(f"/cdn/{API_KEY}/watermark=file:{handle}/{handle}"),
    }


async def _run(running: Any, definition: dict[str, Any], handle: str) -> Any:
    created = await running.client.post(f"{REST}/workflows", auth=AUTH, json=definition)
    assert created.status_code == 201, created.text
    job = await running.workflows.start_job(created.json()["id"], handle)
    return await running.workflows.wait_for_job(job.id, timeout_s=60)


async def test_a_quarantined_file_is_hidden_until_released(tmp_path: Path) -> None:
    data = image_bytes(300, 200)
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, data)
        before = await client.get(f"/cdn/resize=width:50/{handle}")  # a cached rendition must not leak
        assert before.status_code == 200
        job = await _run(running, HOLD, handle)
        assert job.status is JobStatus.DONE, job.status_text
        assert job.tasks["hold"].result == {
            "data": {"quarantined": True, "handle": handle, "reason": "under review"}
        }

        held = await _public_answers(client, handle)
        for where, answer in held.items():
            assert answer.status_code == 403, (where, answer.text)
            assert answer.json() == {
                "error": f"file {handle} is in quarantine (under review); an admin can release it"
            }, where
        assert running.workflows.storage.read(handle) == data  # the bytes are kept

        unauthorized = await client.get(f"{REST}/quarantine")
        listed = await client.get(f"{REST}/quarantine", auth=AUTH)
        assert unauthorized.status_code == 401
        body = QuarantineList.model_validate(listed.json())
        assert [(f.handle, f.reason, f.job, f.size) for f in body.files] == [
            (handle, "under review", job.id, len(data))
        ]

        released = await client.post(f"{REST}/quarantine/{handle}/release", auth=AUTH)
        again = await client.post(f"{REST}/quarantine/{handle}/release", auth=AUTH)
        assert released.json() == {"handle": handle, "released": True}
        assert (again.status_code, again.json()) == (404, {"error": f"file {handle} is not in quarantine"})
        after = await _public_answers(client, handle)
        assert {where: answer.status_code for where, answer in after.items()} == dict.fromkeys(after, 200)
        assert after["file api"].content == data
        assert (await client.get(f"{REST}/quarantine", auth=AUTH)).json() == {"files": []}


async def test_an_admin_deletes_a_quarantined_file(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        handle = await uploaded_handle(client, image_bytes(120, 80))
        free = await uploaded_handle(client, image_bytes(120, 80))
        await _run(running, HOLD, handle)

        not_held = await client.delete(f"{REST}/quarantine/{free}", auth=AUTH)
        deleted = await client.delete(f"{REST}/quarantine/{handle}", auth=AUTH)

        assert not_held.status_code == 404 and (await client.get(f"/cdn/{free}")).status_code == 200
        assert deleted.json() == {"handle": handle, "deleted": True}
        assert (await client.get(f"/cdn/{handle}")).status_code == 404
        assert (await client.get(f"{REST}/quarantine", auth=AUTH)).json() == {"files": []}


async def test_a_flagged_upload_is_held_instead_of_deleted(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        client = running.client
        benign = await uploaded_handle(client, image_bytes(200, 200))
        kept = await _run(running, HOLD_FLAGGED, benign)
        running.workflows.register_action(AnalysisAction("sfw", forced_high_sfw), replace=True)
        flagged = await uploaded_handle(client, image_bytes(200, 200))
        held = await _run(running, HOLD_FLAGGED, flagged)

        assert kept.tasks["hold"].state == TaskState.SKIPPED
        assert (await client.get(f"/cdn/{benign}")).status_code == 200
        assert held.tasks["hold"].state == TaskState.DONE, held.status_text
        answer = await client.get(f"/cdn/{flagged}")
        assert (
            answer.status_code == 403
            and "quarantine (flagged as not safe for work)" in answer.json()["error"]
        )
        assert running.workflows.storage.get(flagged).size > 0


def test_the_openapi_document_describes_quarantine_triggers_and_pipes() -> None:
    from dashboard.local_filestack.workflows.api.openapi import openapi_document

    document = openapi_document()
    paths, schemas = document["paths"], document["components"]["schemas"]

    assert set(paths["/quarantine"]) == {"get"}
    assert set(paths["/quarantine/{handle}/release"]) == {"post"}
    assert set(paths["/quarantine/{handle}"]) == {"delete"}
    assert paths["/quarantine/{handle}"]["delete"]["parameters"][0]["name"] == "handle"
    assert (
        "triggers" in schemas["Workflow"]["properties"]
        and "triggers" in schemas["WorkflowResource"]["properties"]
    )
    assert set(schemas["Trigger"]["properties"]) == {"event", "constraints"}
    # A task's schema has one variant per action.
    task_variants = [schemas[one["$ref"].rsplit("/", 1)[-1]] for one in schemas["Task"]["oneOf"]]
    assert task_variants and all("input" in variant["properties"] for variant in task_variants)
    assert "trigger" in schemas["JobResource"]["properties"]
    assert {"arrival", "handle", "file", "trigger", "constraints"} <= set(schemas["JobTrigger"]["properties"])


async def test_release_and_delete_answers_match_their_documented_models(tmp_path: Path) -> None:
    from dashboard.local_filestack.workflows.api.openapi import QuarantineDeleted, Released

    async with running_workflows(tmp_path) as running:
        first = await uploaded_handle(running.client, image_bytes(50, 50))
        second = await uploaded_handle(running.client, image_bytes(50, 50))
        await _run(running, HOLD, first)
        await _run(running, HOLD, second)
        released = await running.client.post(f"{REST}/quarantine/{first}/release", auth=AUTH)
        deleted = await running.client.delete(f"{REST}/quarantine/{second}", auth=AUTH)
    Released.model_validate(released.json())
    QuarantineDeleted.model_validate(deleted.json())


async def test_without_a_valid_policy_the_answer_says_nothing_of_quarantine(tmp_path: Path) -> None:
    from local_service import policy

    async with running_workflows(tmp_path, require_security=True) as running:
        client = running.client
        store = policy(call=["store"])
        stored = await client.post(
            "/www/api/store/S3", params={"key": API_KEY, **store.as_query()}, content=image_bytes(60, 40)
        )
        handle = stored.json()["handle"]
        await _run(running, HOLD, handle)
        read = policy(call=["read", "convert", "stat"], handle=handle)

        unsigned = await client.get(f"/cdn/{handle}")
        unsigned_file = await client.get(f"/www/api/file/{handle}")
        signed = await client.get(f"/cdn/{read.as_task()}/{handle}")
        signed_file = await client.get(f"/www/api/file/{handle}", params=read.as_query())

    for answer in (unsigned, unsigned_file):
        assert answer.status_code in (401, 403) and "quarantine" not in answer.text
    for answer in (signed, signed_file):
        assert answer.status_code == 403 and "is in quarantine (under review)" in answer.json()["error"]
