"""The jobs console's quarantine panel, its handlers against the embedded service in-process.

An admin sees the held file with its reason and the job that held it, releases one (the CDN
serves it again) and deletes another after confirming; a non-admin sees nothing and changes
nothing.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from app_env import Person, clear_tables
from studio_support import StudioService, studio_service, wait_until_finished

from dashboard import connection
from dashboard.filestack import QuarantinedFile
from dashboard.quarantine_views import held_row
from dashboard.state.quarantine import QuarantineState
from dashboard.state.studio import GUARDED

HOLD = {
    "name": "hold",
    "tasks": [{"id": "hold", "action": "quarantine", "params": {"reason": "under review"}}],
}
SAMPLE = Path(__file__).parents[1] / "assets/samples/coffee.jpg"


@pytest.fixture()
async def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    async with studio_service(tmp_path / "fs") as running:
        monkeypatch.setattr(connection, "open_client", running.open_client)
        yield running


@pytest.fixture()
def admin() -> Person:
    clear_tables()
    person = Person("ada")
    assert person.account.is_admin
    return person


async def _held_file(studio: StudioService) -> tuple[str, str]:
    async with studio.open_client() as fs:
        stored = await fs.upload(SAMPLE.read_bytes(), filename="coffee.jpg")
        workflow = await fs.workflows_api.create_workflow(HOLD)
        job = await fs.workflows_api.start_job(workflow.id, handle=stored.handle)
        await wait_until_finished(fs.workflows_api.get_job, job.uuid)
    return stored.handle, job.uuid


async def _cdn_status(studio: StudioService, handle: str) -> int:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=studio.app), base_url="http://t") as http:
        return (await http.get(f"/cdn/{handle}")).status_code


def test_every_quarantine_handler_asks_who_is_there() -> None:
    for name, handler in QuarantineState.event_handlers.items():
        if name.startswith("setvar"):
            continue
        assert getattr(handler.fn, GUARDED, False), f"QuarantineState.{name} is not guarded"


def test_a_row_says_what_is_held_why_and_by_which_job() -> None:
    row = held_row(
        QuarantinedFile.model_validate(
            {
                "handle": "H" * 20,
                "reason": "a virus was found",
                "job": "j-1",
                "quarantinedAt": "2026-11-29T20:18:08.000Z",
                "filename": "eicar.txt",
                "size": 68,
                "mimetype": "text/plain",
            }
        )
    )
    gone = held_row(QuarantinedFile(handle="G" * 20, reason="held"))

    assert (row.name, row.reason, row.since, row.job) == (
        "eicar.txt · text/plain · 68 bytes",
        "a virus was found",
        "2026-11-29 20:18:08 UTC",
        "j-1",
    )
    assert (gone.name, gone.since, gone.job) == ("(file record gone)", "", "")


async def test_an_admin_releases_one_held_file_and_deletes_another(studio, admin) -> None:
    released, job = await _held_file(studio)
    deleted, _ = await _held_file(studio)
    panel = admin.state(QuarantineState)

    await panel.load_quarantine()
    assert {row.handle for row in panel.held} == {released, deleted}
    row = next(row for row in panel.held if row.handle == released)
    assert row.reason == "under review" and row.job == job and "coffee.jpg" in row.name
    assert await _cdn_status(studio, released) == 403

    await panel.release(released)
    assert panel.held_notice == f"Released {released}: it is served again."
    assert [row.handle for row in panel.held] == [deleted]
    assert await _cdn_status(studio, released) == 200

    await panel.ask_delete(deleted)
    assert panel.confirm_delete == deleted
    await panel.keep()
    assert panel.confirm_delete == "" and await _cdn_status(studio, deleted) == 403
    await panel.ask_delete(deleted)
    await panel.delete_confirmed()
    assert panel.held == [] and panel.held_notice == f"Deleted {deleted}."
    assert await _cdn_status(studio, deleted) == 404

    await panel.release(deleted)
    assert panel.held_notice == f"{deleted} was not in quarantine any more."


async def test_a_non_admin_sees_no_held_file_and_releases_nothing(studio, admin) -> None:
    handle, _ = await _held_file(studio)
    bob = Person("bob")
    panel = bob.state(QuarantineState)

    await panel.load_quarantine()
    await panel.release(handle)
    await panel.ask_delete(handle)
    await panel.delete_confirmed()

    assert panel.held == [] and panel.confirm_delete == ""
    assert await _cdn_status(studio, handle) == 403


def test_the_console_says_which_upload_and_trigger_started_a_job() -> None:
    from dashboard.trigger_text import started_by

    triggered = {
        "event": "upload",
        "arrival": "multipart",
        "handle": "H" * 20,
        "file": {},
        "trigger": 0,
        "constraints": [
            {"type": "includes", "value": "image/", "path": ["mimetype"]},
            {"type": "lt", "value": 1000, "path": ["size"]},
        ],
    }

    assert started_by(None) == ""
    assert started_by(triggered) == (
        f"Started by a multipart upload (handle {'H' * 20}), matching trigger 1: "
        'mimetype includes "image/", size < 1000'
    )
    named = {**triggered, "arrival": "cdn_store", "trigger": None, "constraints": []}
    assert (
        started_by(named)
        == f"Started by a file stored by the CDN's store task (handle {'H' * 20}), named at upload"
    )


async def test_a_triggered_jobs_page_says_what_started_it(studio, admin) -> None:
    from dashboard.state.jobs import JobDetailState

    definition = {
        "name": "on upload",
        "triggers": [
            {"event": "upload", "constraints": [{"type": "includes", "value": "in/", "path": ["path"]}]}
        ],
        "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=width:40"}}],
    }
    async with studio.open_client() as fs:
        await fs.workflows_api.create_workflow(definition)
        stored = await fs.upload(SAMPLE.read_bytes(), filename="coffee.jpg", path="in/")
        [job] = (await fs.workflows_api.list_jobs()).jobs
        await wait_until_finished(fs.workflows_api.get_job, job.uuid)
    detail = admin.state(JobDetailState)

    async for _ in detail.load(job.uuid):
        pass

    assert detail.found and detail.source == stored.handle
    assert detail.started_by == (
        f'Started by a file stored (handle {stored.handle}), matching trigger 1: path includes "in/"'
    )


def test_the_workflow_list_says_which_uploads_start_a_workflow() -> None:
    from dashboard.trigger_text import runs_on_uploads

    size = {"type": "lt", "value": 10, "path": ["size"]}
    image = {"type": "includes", "value": "image/", "path": ["mimetype"]}

    assert runs_on_uploads([]) == ""
    assert runs_on_uploads([{"event": "upload", "constraints": []}]) == "Runs on every upload"
    assert runs_on_uploads(
        [{"event": "upload", "constraints": [size, image]}, {"event": "upload", "constraints": [size]}]
    ) == ('Runs on uploads where size < 10 and mimetype includes "image/"; or where size < 10')
