"""Piping: a task reads the file another task produced (``"input": {"task": "avatar"}``).

``sfw`` runs on the processed image, a second ``process`` on the first one's output, and a
condition on a piped task still decides whether it runs. A pipe from a task that produces no
file, a pipe that forms a cycle and a pipe from an unknown task are refused with their names.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import skimage.data
from local_service import uploaded_handle
from PIL import Image
from pydantic import BaseModel
from workflow_support import AUTH, REST, running_workflows

from dashboard.local_filestack.workflows.engine.actions import ActionContext
from dashboard.local_filestack.workflows.model import contracts
from dashboard.local_filestack.workflows.model.contracts import ActionContract, NoParams
from dashboard.local_filestack.workflows.model.dag import plan_workflow
from dashboard.local_filestack.workflows.model.jobs import JobStatus
from dashboard.local_filestack.workflows.model.workflow import TaskState, WorkflowValidationError

MEASURE = ActionContract(
    name="measure",
    description="Test stand-in: report the file the task read.",
    params_model=NoParams,
    output={"type": "object"},
)


async def measure(context: ActionContext, params: BaseModel) -> dict[str, Any]:
    """The handle and size of the file this task was given."""
    source = await context.source_file()
    return {"handle": source.handle, "width": source.width, "height": source.height}


@contextlib.contextmanager
def measure_contract() -> Iterator[None]:
    contracts.register(MEASURE, replace=True)
    try:
        yield
    finally:
        contracts.ACTIONS.pop(MEASURE.name, None)


def portrait() -> bytes:
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).convert("RGB").resize((800, 400)).save(out, "JPEG", quality=88)
    return out.getvalue()


AVATAR = {
    "id": "avatar",
    "action": "process",
    "params": {"tasks": 'resize=width:200,height:200,fit:crop/store=location:s3,path:"avatars/"'},
}


async def test_sfw_and_a_second_process_read_the_processed_file(tmp_path: Path) -> None:
    definition = {
        "name": "piped",
        "tasks": [
            AVATAR,
            {"id": "sfw", "action": "sfw", "input": {"task": "avatar"}},
            {"id": "seen_by_sfw", "action": "measure", "input": {"task": "avatar"}},
            {"id": "original", "action": "measure"},
            {
                "id": "thumb",
                "action": "process",
                "input": {"task": "avatar"},
                "params": {"tasks": "resize=width:50"},
                "requires": [
                    {"task": "sfw", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}
                ],
            },
            {"id": "thumb_size", "action": "measure", "input": {"task": "thumb"}},
            {
                "id": "never",
                "action": "process",
                "input": {"task": "avatar"},
                "params": {"tasks": "resize=width:10"},
                "requires": [{"task": "sfw", "condition": {"type": "gt", "value": 50, "path": ["nsfw"]}}],
            },
        ],
    }
    with measure_contract():
        async with running_workflows(tmp_path) as running:
            running.workflows.register_function("measure", measure)
            created = await running.client.post(f"{REST}/workflows", auth=AUTH, json=definition)
            assert created.status_code == 201, created.text
            handle = await uploaded_handle(running.client, portrait())
            job = await running.workflows.start_job(created.json()["id"], handle)
            job = await running.workflows.wait_for_job(job.id, timeout_s=90)

    assert job.status is JobStatus.DONE, job.status_text
    results = {task_id: (outcome.result or {}).get("data") for task_id, outcome in job.tasks.items()}
    avatar = results["avatar"]
    assert avatar is not None and (avatar["width"], avatar["height"]) == (200, 200)
    assert results["seen_by_sfw"] == {"handle": avatar["handle"], "width": 200, "height": 200}
    assert results["original"] == {"handle": handle, "width": 800, "height": 400}
    assert results["sfw"] is not None and results["sfw"]["sfw"] is True
    thumb = results["thumb"]
    assert thumb is not None and (thumb["width"], thumb["height"]) == (50, 50)  # 50x25 from the original
    assert results["thumb_size"] == {"handle": thumb["handle"], "width": 50, "height": 50}
    assert job.tasks["never"].state == TaskState.SKIPPED
    assert "condition gt 50 on sfw.nsfw was false" in (job.tasks["never"].reason or "")


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        (
            [
                {"id": "sfw", "action": "sfw"},
                {"id": "t", "action": "process", "params": {"tasks": "flip"}, "input": {"task": "sfw"}},
            ],
            "input task 'sfw' runs action 'sfw', which produces no file to pipe (actions that do: process, store)",
        ),
        (
            [
                {"id": "a", "action": "process", "params": {"tasks": "flip"}, "input": {"task": "b"}},
                {"id": "b", "action": "process", "params": {"tasks": "flop"}, "input": {"task": "a"}},
            ],
            "cycle: a -> b -> a",
        ),
        (
            [
                {"id": "a", "action": "process", "params": {"tasks": "flip"}, "requires": [{"task": "b"}]},
                {"id": "b", "action": "process", "params": {"tasks": "flop"}, "input": {"task": "a"}},
            ],
            "cycle: a -> b -> a",
        ),
        (
            [{"id": "a", "action": "process", "params": {"tasks": "flip"}, "input": {"task": "a"}}],
            "cycle: task 'a' takes its own output as input",
        ),
        (
            [{"id": "a", "action": "process", "params": {"tasks": "flip"}, "input": {"task": "ghost"}}],
            "input names task 'ghost', which is not a task of this workflow",
        ),
        (
            [{"id": "a", "action": "process", "params": {"tasks": "flip"}, "input": {"from": "x"}}],
            "input.from",
        ),
    ],
)
def test_bad_pipes_are_refused(tasks: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(WorkflowValidationError) as raised:
        plan_workflow({"name": "bad", "tasks": tasks})
    assert message in str(raised.value)


async def test_the_rest_api_refuses_a_pipe_from_a_task_without_a_file(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        refused = await running.client.post(
            f"{REST}/workflows",
            auth=AUTH,
            json={
                "name": "bad pipe",
                "tasks": [
                    {"id": "tags", "action": "tags"},
                    {"id": "t", "action": "process", "params": {"tasks": "flip"}, "input": {"task": "tags"}},
                ],
            },
        )
        contracts_listed = (await running.client.get(f"{REST}/tasks", auth=AUTH)).json()
    assert refused.status_code == 400
    assert "task 't': input task 'tags' runs action 'tags', which produces no file" in refused.json()["error"]
    produces = {contract["name"]: contract["producesFile"] for contract in contracts_listed}
    assert produces["process"] is True and produces["store"] is True
    assert produces["sfw"] is False and produces["virus_scan"] is False and produces["quarantine"] is False
