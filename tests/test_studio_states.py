"""The studio's and the console's event handlers against the embedded service, in-process:
what a developer would see change on the page, and what the service stored."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from pathlib import Path

import pytest
import reflex as rx
from app_env import Person, clear_tables
from reflex_events import event_processor, sign_in
from studio_support import studio_service, wait_until_finished
from webhook_receiver import receiving
from workflow_support import nap_contract, nap_task

from dashboard import connection, photo_jobs
from dashboard.settings import get_settings
from dashboard.state.jobs import JobDetailState, JobListState
from dashboard.state.sample_run import SampleRunState
from dashboard.state.studio import GUARDED
from dashboard.state.workflow_editor import WorkflowEditorState
from dashboard.state.workflows import WorkflowListState

PROFILE_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"


@pytest.fixture()
async def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The service in-process (loopback webhooks allowed) and the app's client pointed at it."""
    async with studio_service(tmp_path / "fs", allow_private_fetch=True) as running:
        monkeypatch.setattr(connection, "open_client", running.open_client)
        monkeypatch.setattr(photo_jobs, "client_config", lambda _settings=None: running.config)
        yield running


@pytest.fixture()
def admin() -> Person:
    """The first account of an empty database: the app's admin, signed in."""
    clear_tables()
    person = Person("ada")
    assert person.account.is_admin
    return person


async def _drain(generator) -> list:
    return [item async for item in generator] if generator is not None else []


def _names(events: list) -> str:
    return " ".join(str(event) for event in events if event is not None)


async def _editor(person: Person) -> WorkflowEditorState:
    return person.state(WorkflowEditorState)


async def _build_two_task_workflow(editor: WorkflowEditorState, webhook: str = "") -> None:
    """What a person does in the forms: two tasks, the second after the first when it says sfw."""
    await _drain(editor.load("new"))
    assert editor.loaded and editor.is_new and editor.tasks == []
    await editor.set_name("Safe thumbnails")
    if webhook:
        await editor.set_webhook(webhook)
    await editor.set_new_task_action("sfw")
    await editor.add_task()
    await editor.set_new_task_action("process")
    await editor.add_task()
    await editor.set_task_id(1, "thumb")
    await editor.set_param(1, "tasks", "resize=width:120/store=location:s3")
    await editor.add_requirement(1)
    await editor.set_condition_type(1, 0, "equals")
    await editor.set_condition_path(1, 0, "sfw")
    await editor.set_condition_value(1, 0, "true")


async def test_a_workflow_built_in_the_forms_is_saved_exactly_as_the_json_tab_shows(studio, admin) -> None:
    editor = await _editor(admin)
    await _build_two_task_workflow(editor)
    shown = json.loads(editor.json_text)
    assert shown == {
        "name": "Safe thumbnails",
        "tasks": [
            {"id": "sfw", "action": "sfw", "params": {}, "requires": []},
            {
                "id": "thumb",
                "action": "process",
                "params": {"tasks": "resize=width:120/store=location:s3"},
                "requires": [
                    {"task": "sfw", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}
                ],
            },
        ],
    }
    assert {(e["source"], e["target"], e["label"]) for e in editor.graph_edges} == {
        ("sfw", "thumb", "sfw = true")
    }
    assert editor.dirty
    events = await _drain(editor.save())
    assert not editor.is_new and not editor.dirty
    assert f"/workflows/{editor.workflow_id}" in _names(events)  # the page moves to the saved workflow
    async with studio.open_client() as fs:
        stored = await fs.workflows_api.get_workflow(editor.workflow_id)
    assert stored.definition()["tasks"][1]["requires"] == shown["tasks"][1]["requires"]
    assert stored.name == "Safe thumbnails"


async def test_the_apis_messages_appear_at_the_fields_they_name_and_nothing_is_saved(studio, admin) -> None:
    editor = await _editor(admin)
    await _drain(editor.load(PROFILE_ID))
    before = json.loads(editor.json_text)
    await editor.set_name("  ")
    await editor.set_new_task_action("store")
    await editor.add_task()
    store = len(editor.tasks) - 1
    await editor.set_param(store, "location", "the moon")
    await _drain(editor.save())
    assert "must not be empty" in editor.name_error
    # The name is checked before the params: fix it and save again to hear about the location.
    await editor.set_name("Profile picture")
    assert editor.name_error == ""
    await _drain(editor.save())
    location = next(p for p in editor.tasks[store].params if p.name == "location")
    assert "'the moon'" in location.error and location.value == "the moon"
    async with studio.open_client() as fs:
        assert (await fs.workflows_api.get_workflow(PROFILE_ID)).definition() == before
    await editor.set_param(store, "location", "gcs")
    assert next(p for p in editor.tasks[store].params if p.name == "location").error == ""
    await _drain(editor.save())
    async with studio.open_client() as fs:
        assert (await fs.workflows_api.get_workflow(PROFILE_ID)).tasks[-1].params == {"location": "gcs"}


async def test_a_condition_needing_a_number_is_flagged_at_its_value(studio, admin) -> None:
    editor = await _editor(admin)
    await _build_two_task_workflow(editor)
    await editor.set_condition_type(1, 0, "gt")
    await editor.set_condition_value(1, 0, "many")
    await _drain(editor.save())
    requirement = editor.tasks[1].requires[0]
    assert "numeric value" in requirement.value_error and requirement.value == "many"
    assert editor.is_new  # not created


async def test_the_json_tab_replaces_the_draft(studio, admin) -> None:
    editor = await _editor(admin)
    await _drain(editor.load("new"))
    await editor.apply_json({"json": "{not json"})
    assert "not valid JSON" in editor.json_error and editor.tasks == []
    await editor.apply_json({"json": json.dumps({"name": "From JSON", "tasks": [{"action": "ocr"}]})})
    assert (
        editor.json_error == "" and editor.name == "From JSON" and [t.action for t in editor.tasks] == ["ocr"]
    )


async def test_the_list_duplicates_and_deletes_through_the_api(studio, admin) -> None:
    state = admin.state(WorkflowListState)
    await _drain(state.load())
    names = {row.name: row for row in state.workflows}
    profile = names["Profile picture"]
    assert (profile.slot, profile.runs) == ("Profile picture", "Runs on every profile picture upload")
    assert names["Cover photo"].slot == "Cover photo"
    others = [
        row
        for row in state.workflows
        if row.name not in ("Profile picture", "Cover photo", "Screened uploads")
    ]
    assert others and all(row.slot == "" and row.runs == "Runs only when started" for row in others)
    assert names["Screened uploads"].runs == (
        'Runs on uploads where path includes "uploads/screened/" and size < 26214400'
    )
    # Parameters in words: the processing chain as steps, never the raw URL grammar.
    steps = " ".join(line.params for line in profile.tasks)
    assert "resize (width 400, height 400" in steps and "resize=" not in steps
    events = await _drain(state.duplicate(PROFILE_ID))
    assert any("Profile picture (copy)" in str(e) for e in events)
    await _drain(state.load())
    copy = next(row for row in state.workflows if row.name == "Profile picture (copy)")
    await state.ask_delete(copy.id)
    assert state.confirm_delete == copy.id
    await _drain(state.delete(copy.id))
    assert state.confirm_delete == "" and copy.id not in {row.id for row in state.workflows}
    async with studio.open_client() as fs:
        assert copy.id not in {w.id for w in await fs.workflows_api.list_workflows()}


async def test_a_test_run_on_a_sample_shows_each_task_finish_with_results_and_outputs(studio, admin) -> None:
    editor = await _editor(admin)
    await _build_two_task_workflow(editor)
    await _drain(editor.save())
    async with event_processor() as events:
        await sign_in(events, admin.token)
        editor_state = await events.state(WorkflowEditorState)
        await _drain(editor_state.load(editor.workflow_id))
        await events.run(SampleRunState, "prepare")
        run = await events.state(SampleRunState)
        assert [s.name for s in run.samples] == ["astronaut.jpg", "chelsea.jpg", "coffee.jpg", "rocket.jpg"]
        await events.run(SampleRunState, "select", name="chelsea.jpg")
        await events.run(SampleRunState, "run_sample")  # starts the job, then follows it to the end
        run = await events.state(SampleRunState)
        assert run.phase == "done", run.message
        assert [(r.id, r.state) for r in run.rows] == [("sfw", "done"), ("thumb", "done")]
        sfw, thumb = run.rows
        assert json.loads(sfw.result_json)["data"]["sfw"] is True
        (output,) = thumb.outputs
        assert "resize=width:160,height:160,fit:crop" in output.thumb and output.label.startswith(
            "chelsea.jpg · 120×"
        )
        assert thumb.time and sfw.time
        graph = await events.state(WorkflowEditorState)
        assert {n["id"]: "done" in n["data"]["label"] for n in graph.graph_nodes} == {
            "sfw": True,
            "thumb": True,
        }
        async with studio.open_client() as fs:
            job = await fs.workflows_api.get_job(run.job_uuid)
        assert job.workflow_id == editor.workflow_id and job.finished


async def test_a_run_needs_a_saved_workflow_and_a_photo(studio, admin) -> None:
    async with event_processor() as events:
        await sign_in(events, admin.token)
        editor_state = await events.state(WorkflowEditorState)
        await _drain(editor_state.load("new"))
        await events.run(SampleRunState, "prepare")
        await events.run(SampleRunState, "run_sample")
        assert (await events.state(SampleRunState)).phase == "idle"  # nothing started for an unsaved workflow
        await _drain(editor_state.load(PROFILE_ID))
        run = await events.state(SampleRunState)
        await _drain(run.run_upload([rx.UploadFile(file=io.BytesIO(b"hello" * 99), path=Path("notes.jpg"))]))
        assert run.phase == "failed" and "not an image" in run.message and run.job_uuid == ""


async def test_the_console_filters_pages_and_shows_a_job_with_its_webhook_attempts(studio, admin) -> None:
    with receiving([500]) as receiver:
        async with studio.open_client() as fs:
            api = fs.workflows_api
            hooked = await api.create_workflow(
                {"name": "hooked", "tasks": [{"id": "keep", "action": "store"}], "webhook": receiver.url}
            )
            stored = await fs.upload(
                (Path(__file__).parents[1] / "assets/samples/coffee.jpg").read_bytes(), filename="coffee.jpg"
            )
            uuids = []
            for _ in range(3):
                job = await api.start_job(hooked.id, handle=stored.handle)
                await wait_until_finished(api.get_job, job.uuid)
                uuids.append(job.uuid)
            await api.start_job(PROFILE_ID, handle=stored.handle)
        await studio.wait_webhooks()

        jobs = admin.state(JobListState)
        await jobs.set_workflow_filter(hooked.id)
        assert [row.uuid for row in jobs.rows] == list(reversed(uuids))
        assert all(row.workflow_name == "hooked" and row.state == "done" for row in jobs.rows)
        await jobs.set_status_filter("failed")
        assert jobs.rows == []
        await jobs.set_status_filter("")
        await jobs.set_time_filter("15m")
        assert len(jobs.rows) == 3 and jobs.page == 1 and not jobs.has_next

        detail = admin.state(JobDetailState)
        await _drain(detail.load(uuids[0]))
        assert detail.found and detail.state == "done" and detail.workflow_name == "hooked"
        assert detail.source == stored.handle and "resize=" in detail.source_thumb
        (keep,) = detail.rows
        assert keep.state == "done" and keep.outputs and keep.outputs[0].label.startswith("coffee.jpg")
        assert detail.webhook == receiver.url
        assert [(a.attempt, a.status, a.delivered) for a in detail.attempts] == [
            (1, "HTTP 500", False),
            (2, "HTTP 200", True),
        ]
        assert detail.attempts[0].error == "answered HTTP 500" and detail.attempts[1].duration.endswith(" ms")
        assert {node["id"] for node in detail.graph_nodes} == {"keep"}


async def test_jobs_page_through_the_cursor(studio, admin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dashboard.state.jobs.PAGE_SIZE", 2)
    async with studio.open_client() as fs:
        stored = await fs.upload(
            (Path(__file__).parents[1] / "assets/samples/rocket.jpg").read_bytes(), filename="rocket.jpg"
        )
        wf = await fs.workflows_api.create_workflow({"name": "keep", "tasks": [{"action": "store"}]})
        uuids = [(await fs.workflows_api.start_job(wf.id, handle=stored.handle)).uuid for _ in range(5)]
        for uuid in uuids:
            await wait_until_finished(fs.workflows_api.get_job, uuid)
    jobs = admin.state(JobListState)
    await jobs.set_workflow_filter(wf.id)
    seen = [row.uuid for row in jobs.rows]
    while jobs.has_next:
        await jobs.next_page()
        seen += [row.uuid for row in jobs.rows]
    assert seen == list(reversed(uuids)) and jobs.page == 3
    await jobs.previous_page()
    assert jobs.page == 2 and [row.uuid for row in jobs.rows] == list(reversed(uuids))[2:4]


async def test_a_missing_job_says_so(studio, admin) -> None:
    detail = admin.state(JobDetailState)
    await _drain(detail.load("00000000-0000-0000-0000-000000000000"))
    assert not detail.found and "no such job" in detail.error


def _handlers(state_class: type) -> dict[str, object]:
    return {name: handler.fn for name, handler in state_class.event_handlers.items()}


def test_every_studio_and_console_handler_asks_who_is_there() -> None:
    """No handler of a studio or console state can be reached without the access check."""
    for state_class in (WorkflowListState, WorkflowEditorState, SampleRunState, JobListState, JobDetailState):
        for name, fn in _handlers(state_class).items():
            if name.startswith("setvar") or name == "follow":
                continue  # Reflex's own setter (no var is set from the page); follow checks in its lock
            assert getattr(fn, GUARDED, False), f"{state_class.__name__}.{name} is not guarded"


async def test_a_signed_in_non_admin_is_refused_and_a_crafted_event_changes_nothing(
    studio, admin, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with studio.open_client() as fs:
        stored = await fs.upload(
            (Path(__file__).parents[1] / "assets/samples/coffee.jpg").read_bytes(), filename="coffee.jpg"
        )
        job = await fs.workflows_api.start_job(PROFILE_ID, handle=stored.handle)
        await wait_until_finished(fs.workflows_api.get_job, job.uuid)
    bob = Person("bob")
    assert not bob.account.is_admin

    gate = bob.state(JobListState)
    assert await gate.check_access() is None  # no redirect: the page shows "not allowed"
    assert gate.checked and not gate.allowed

    caplog.set_level(logging.WARNING, logger="dashboard.state.studio")
    listing = bob.state(WorkflowListState)
    await _drain(listing.load())
    assert listing.workflows == []
    await _drain(listing.delete(PROFILE_ID))
    editor = bob.state(WorkflowEditorState)
    await _drain(editor.load(PROFILE_ID))
    assert not editor.loaded and editor.tasks == []
    await editor.set_name("Taken over")
    await _drain(editor.save())
    jobs = bob.state(JobListState)
    await jobs.set_status_filter("done")
    assert jobs.rows == []
    detail = bob.state(JobDetailState)
    detail.job_uuid = job.uuid  # as if the page had it: the handlers still refuse
    await _drain(detail.replay_job())
    await _drain(detail.cancel_job())
    assert not detail.found and detail.rows == []

    async with studio.open_client() as fs:
        assert PROFILE_ID in {w.id for w in await fs.workflows_api.list_workflows()}
        assert (await fs.workflows_api.get_workflow(PROFILE_ID)).name == "Profile picture"
        page = await fs.workflows_api.list_jobs()
        assert [j.uuid for j in page.jobs] == [job.uuid]  # no replay started
        assert (await fs.workflows_api.get_job(job.uuid)).cancelled_by is None
    refusals = [r.getMessage() for r in caplog.records if "without the admin role" in r.getMessage()]
    assert any(f"account {bob.id} (bob) asked for WorkflowListState.delete" in m for m in refusals), refusals
    assert any("JobDetailState.replay_job" in m for m in refusals) and any(
        "JobDetailState.cancel_job" in m for m in refusals
    )

    # ADMIN_USERNAMES makes bob an admin; signed out, the page sends to sign-in and back.
    naming_bob = get_settings().model_copy(update={"admin_usernames": " Bob , carol"})
    monkeypatch.setattr("dashboard.state.studio.get_settings", lambda: naming_bob)
    await _drain(listing.load())
    assert listing.allowed and PROFILE_ID in {row.id for row in listing.workflows}
    monkeypatch.setattr("dashboard.state.studio.get_settings", get_settings)
    stranger = rx.State(_reflex_internal_init=True)
    signed_out = stranger.get_substate(JobListState.get_full_name().split("."))
    redirect = await signed_out.check_access()
    assert "/login?next=" in str(redirect) and not signed_out.allowed
    await signed_out.set_status_filter("done")
    assert signed_out.rows == []
    assert any(
        "a signed-out browser asked for JobListState.set_status_filter" in r.getMessage()
        for r in caplog.records
    )


async def test_an_admin_cancels_a_running_job_and_replays_it_from_its_page(studio, admin) -> None:
    gate = asyncio.Event()

    async def held(context, params):  # a task that runs until the test lets it go
        await gate.wait()
        return {}

    with nap_contract():
        studio.service.workflows.register_function("nap", held)
        async with studio.open_client() as fs:
            stored = await fs.upload(
                (Path(__file__).parents[1] / "assets/samples/rocket.jpg").read_bytes(), filename="rocket.jpg"
            )
            flow = await fs.workflows_api.create_workflow({"name": "held", "tasks": [nap_task("hold", 1)]})
            job = await fs.workflows_api.start_job(flow.id, handle=stored.handle)
            for _ in range(500):
                if (await fs.workflows_api.get_job(job.uuid)).tasks["hold"].state.value == "running":
                    break
                await asyncio.sleep(0.02)
        detail = admin.state(JobDetailState)
        await _drain(detail.load(job.uuid))
        assert detail.state == "running" and detail.cancelled_by == ""
        await detail.ask("cancel")
        assert detail.confirming == "cancel"
        await _drain(detail.cancel_job())
        assert detail.state == "failed" and detail.cancelled_by == "ada"
        assert detail.status_text == "cancelled by ada" and detail.confirming == ""
        assert [(r.id, r.state, r.reason) for r in detail.rows] == [
            ("hold", "failed", "stopped: cancelled by ada")
        ]

        gate.set()  # a replay runs to its end
        await detail.ask("replay")
        events = await _drain(detail.replay_job())
        (redirect,) = [e for e in events if e is not None and "/jobs/" in str(e)]
        replay_uuid = str(redirect).split("/jobs/")[1][:36]
        replay = admin.state(JobDetailState)
        await _drain(replay.load(replay_uuid))
        assert replay.replay_of == job.uuid and replay.workflow_id == flow.id
        await _drain(detail.load(job.uuid))
        assert detail.replays == [replay_uuid]
        async with studio.open_client() as fs:
            finished = await wait_until_finished(fs.workflows_api.get_job, replay_uuid)
        assert finished.state.value == "done"


async def test_the_editor_deletes_after_asking(studio, admin) -> None:
    async with studio.open_client() as fs:
        created = await fs.workflows_api.create_workflow(
            {"name": "short-lived", "tasks": [{"action": "sfw"}]}
        )
    editor = await _editor(admin)
    await _drain(editor.load(created.id))
    await editor.ask_delete(True)
    assert editor.confirm_delete
    events = await _drain(editor.delete())
    assert not editor.confirm_delete and "/workflows" in _names(events)
    async with studio.open_client() as fs:
        assert created.id not in {w.id for w in await fs.workflows_api.list_workflows()}
