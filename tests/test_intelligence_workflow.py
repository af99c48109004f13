"""The analysis actions inside the workflow engine: real models in the engine's process pool.

The shipped deleteNSFW workflow runs with the real ``sfw`` (NudeNet) on a
benign photo and keeps the file; with a stand-in whose detector reports an
exposed class at 97 %, the same workflow deletes it. The shipped all-actions
example runs every action on a portrait.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import skimage.data
from local_service import uploaded_handle
from PIL import Image
from workflow_support import DELETE_NSFW_ID, running_workflows

from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.intelligence.detections import Detection
from dashboard.local_filestack.intelligence.sfw import verdict
from dashboard.local_filestack.workflows.engine.actions.intelligence import AnalysisAction
from dashboard.local_filestack.workflows.model.jobs import JobStatus
from dashboard.local_filestack.workflows.model.shipped import ALL_ACTIONS_EXAMPLE_ID
from dashboard.local_filestack.workflows.model.workflow import TaskState

ALL_ACTIONS_ID = ALL_ACTIONS_EXAMPLE_ID


def forced_high_sfw(data: bytes, limits: Limits) -> dict[str, Any]:
    """The real verdict on a detector result forced to an exposed class at 97 % (runs in the pool)."""
    return verdict(
        [Detection(label="FEMALE_BREAST_EXPOSED", score=0.97, x=0, y=0, width=8, height=8)]
    ).model_dump()


def photo(name: str, size: tuple[int, int] | None = None) -> bytes:
    image = Image.fromarray(getattr(skimage.data, name)()).convert("RGB")
    if size is not None:
        image = image.resize(size)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


async def test_delete_nsfw_keeps_a_benign_photo_with_the_real_sfw(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        handle = await uploaded_handle(running.client, photo("chelsea"))
        job = await running.workflows.start_job(DELETE_NSFW_ID, handle)
        job = await running.workflows.wait_for_job(job.id, timeout_s=60)
        served = await running.client.get(f"/cdn/{handle}")
    assert job.status is JobStatus.DONE, job.status_text
    result = job.tasks["sfw"].result
    assert result is not None and set(result["data"]) == {"sfw", "nsfw"}
    assert result["data"]["sfw"] is True and result["data"]["nsfw"] <= 50
    assert job.tasks["delete"].state == TaskState.SKIPPED
    assert "condition gt 50 on sfw.nsfw was false" in (job.tasks["delete"].reason or "")
    assert served.status_code == 200


async def test_delete_nsfw_deletes_when_the_detector_scores_high(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        running.workflows.register_action(AnalysisAction("sfw", forced_high_sfw), replace=True)
        handle = await uploaded_handle(running.client, photo("chelsea"))
        job = await running.workflows.start_job(DELETE_NSFW_ID, handle)
        job = await running.workflows.wait_for_job(job.id, timeout_s=60)
        served = await running.client.get(f"/cdn/{handle}")
    assert job.status is JobStatus.DONE, job.status_text
    assert job.tasks["sfw"].result == {"data": {"sfw": False, "nsfw": 97.0}}
    assert job.tasks["delete"].result == {"data": {"deleted": True, "handle": handle}}
    assert served.status_code == 404


async def test_the_all_actions_example_runs_every_action(tmp_path: Path) -> None:
    async with running_workflows(tmp_path) as running:
        handle = await uploaded_handle(running.client, photo("astronaut", (320, 320)))
        job = await running.workflows.start_job(ALL_ACTIONS_ID, handle)
        job = await running.workflows.wait_for_job(job.id, timeout_s=90)
        served = await running.client.get(f"/cdn/{handle}")
    assert job.status is JobStatus.DONE, job.status_text
    data = {task_id: (outcome.result or {}).get("data") for task_id, outcome in job.tasks.items()}
    assert data["sfw"]["sfw"] is True
    assert isinstance(data["ocr"]["text"], str) and isinstance(data["ocr"]["lines"], list)
    assert data["tags"]["tags"]["auto"]["face"] >= 50 and data["tags"]["tags"]["user"] is None
    assert data["copyright"] == {"licenses": [], "sources": []}
    assert data["avatar"]["width"] == data["avatar"]["height"] == 400
    assert data["face_thumb"]["width"] == data["face_thumb"]["height"] <= 200
    assert data["original"]["handle"] != handle
    assert job.tasks["delete"].state == TaskState.SKIPPED
    assert served.status_code == 200
