"""The ``virus_scan`` action on a real clamd of the tests' own (tests/clamav_support.py).

EICAR is found infected and named, a photo is clean, both with the signature set's version; a
stopped scanner fails the task with the reason (never a clean verdict). The shipped "Screened
uploads" workflow, started by an upload under ``uploads/screened/``, holds an infected file in
quarantine and crops a clean photo, running ``sfw`` and a second crop on that crop.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
import skimage.data
from clamav_support import EICAR, clamd_instance
from local_service import upload, uploaded_handle
from PIL import Image
from workflow_support import AUTH, FAST, REST, running_workflows

from dashboard.local_filestack.intelligence.scanning import ScannerSettings
from dashboard.local_filestack.workflows.model.jobs import JobStatus
from dashboard.local_filestack.workflows.model.shipped import SCREENED_UPLOADS_ID
from dashboard.local_filestack.workflows.model.workflow import TaskState

SCAN = {"name": "scan", "tasks": [{"id": "scan", "action": "virus_scan"}]}


@pytest.fixture(scope="module")
def clamd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannerSettings]:
    with clamd_instance(tmp_path_factory.mktemp("clamd")) as settings:
        yield settings


def photo() -> bytes:
    out = io.BytesIO()
    Image.fromarray(skimage.data.astronaut()).save(out, "JPEG", quality=90)
    return out.getvalue()


def _settings(socket: Path | None) -> object:
    return FAST.model_copy(update={"clamd_socket": socket, "scan_timeout_s": 30.0})


async def _scan(tmp_path: Path, socket: Path | None, data: bytes) -> object:
    async with running_workflows(tmp_path, _settings(socket)) as running:  # type: ignore[arg-type]
        created = await running.client.post(f"{REST}/workflows", auth=AUTH, json=SCAN)
        handle = await uploaded_handle(running.client, data, filename="file.bin")
        job = await running.workflows.start_job(created.json()["id"], handle)
        return await running.workflows.wait_for_job(job.id, timeout_s=60)


async def test_eicar_is_infected(tmp_path: Path, clamd: ScannerSettings) -> None:
    job = await _scan(tmp_path, clamd.socket_path, EICAR)

    assert job.status is JobStatus.DONE, job.status_text  # type: ignore[attr-defined]
    data = job.tasks["scan"].result["data"]  # type: ignore[attr-defined]
    assert data["infected"] is True
    assert data["viruses"] == data["infections_list"] == ["Eicar-Test-Signature.UNOFFICIAL"]
    assert data["signatures"].startswith("ClamAV 1.")


async def test_a_photo_is_clean(tmp_path: Path, clamd: ScannerSettings) -> None:
    job = await _scan(tmp_path, clamd.socket_path, photo())

    data = job.tasks["scan"].result["data"]  # type: ignore[attr-defined]
    assert (data["infected"], data["viruses"]) == (False, [])
    assert data["signatures"].startswith("ClamAV 1.")


async def test_a_stopped_scanner_fails_the_task(tmp_path: Path) -> None:
    with clamd_instance(tmp_path / "clamd") as settings:
        pass  # started, then stopped: its socket path names nothing that answers
    job = await _scan(tmp_path / "data", settings.socket_path, EICAR)

    assert job.status is JobStatus.FAILED  # type: ignore[attr-defined]
    outcome = job.tasks["scan"]  # type: ignore[attr-defined]
    assert outcome.state == TaskState.FAILED and outcome.result is None
    assert "the virus scan could not run (unreachable): no virus scanner is listening at unix socket" in (
        outcome.reason or ""
    )


async def test_the_screened_uploads_example(tmp_path: Path, clamd: ScannerSettings) -> None:
    async with running_workflows(tmp_path, _settings(clamd.socket_path)) as running:  # type: ignore[arg-type]
        client = running.client
        infected = await upload(client, EICAR, filename="eicar.txt", path="uploads/screened/")
        clean = await upload(client, photo(), filename="me.jpg", path="uploads/screened/")
        elsewhere = await upload(client, EICAR, filename="eicar.txt", path="uploads/other/")
        [infected_job] = infected.json()["workflows"]
        [clean_job] = clean.json()["workflows"]
        assert infected_job["id"] == clean_job["id"] == SCREENED_UPLOADS_ID
        assert "workflows" not in elsewhere.json()
        held = await running.workflows.wait_for_job(infected_job["jobid"], timeout_s=90)
        cropped = await running.workflows.wait_for_job(clean_job["jobid"], timeout_s=90)
        infected_answer = await client.get(f"/cdn/{infected.json()['handle']}")
        clean_answer = await client.get(f"/cdn/{clean.json()['handle']}")
        listed = (await client.get(f"{REST}/quarantine", auth=AUTH)).json()

    assert held.status is JobStatus.DONE, held.status_text
    assert held.triggered_by is not None and held.triggered_by.arrival.value == "store"
    assert held.tasks["hold_infected"].state == TaskState.DONE
    assert held.tasks["avatar"].state == TaskState.SKIPPED
    assert infected_answer.status_code == 403 and "a virus was found" in infected_answer.json()["error"]
    assert [entry["handle"] for entry in listed["files"]] == [infected.json()["handle"]]

    assert cropped.status is JobStatus.DONE, cropped.status_text
    results = {task: (outcome.result or {}).get("data") for task, outcome in cropped.tasks.items()}
    assert results["scan"]["infected"] is False
    assert cropped.tasks["hold_infected"].state == TaskState.SKIPPED
    assert (results["avatar"]["width"], results["avatar"]["height"]) == (400, 400)
    assert results["sfw"]["sfw"] is True
    assert (results["thumb"]["width"], results["thumb"]["height"]) == (96, 96)
    assert cropped.tasks["hold_nsfw"].state == TaskState.SKIPPED
    assert clean_answer.status_code == 200
