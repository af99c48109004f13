"""The studio's and the console's event handlers against the embedded service, in-process:
what a developer would see change on the page, and what the service stored."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import reflex as rx

from dashboard import connection, photo_jobs, studio_access
from dashboard.state.jobs import JobDetailState, JobListState
from dashboard.state.sample_run import SampleRunState
from dashboard.state.studio import StudioState
from dashboard.state.workflow_editor import WorkflowEditorState
from dashboard.state.workflows import WorkflowListState
from reflex_events import event_processor
from studio_support import studio_service, wait_until_finished
from webhook_receiver import receiving

PROFILE_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"


@pytest.fixture()
async def studio(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The service in-process (loopback webhooks allowed) and the app's client pointed at it."""
    async with studio_service(tmp_path / "fs", allow_private_fetch=True) as running:
        monkeypatch.setattr(connection, "open_client", running.open_client)
        monkeypatch.setattr(photo_jobs, "client_config", lambda _settings=None: running.config)
        yield running


async def _drain(generator) -> list:
    return [item async for item in generator] if generator is not None else []


def _names(events: list) -> str:
    return " ".join(str(event) for event in events if event is not None)


async def _editor() -> WorkflowEditorState:
    root = rx.State(_reflex_internal_init=True)
    return await root.get_state(WorkflowEditorState)


async def _build_two_task_workflow(editor: WorkflowEditorState, webhook: str = "") -> None:
    """What a person does in the forms: two tasks, the second after the first when it says sfw."""
    await _drain(editor.load("new"))
    assert editor.loaded and editor.is_new and editor.tasks == []
    await editor.set_name("Safe thumbnails")
    if webhook:
        await editor.set_webhook(webhook)
    editor.set_new_task_action("sfw")
    await editor.add_task()
    editor.set_new_task_action("process")
    await editor.add_task()
    await editor.set_task_id(1, "thumb")
    await editor.set_param(1, "tasks", "resize=width:120/store=location:s3")
    await editor.add_requirement(1)
    await editor.set_condition_type(1, 0, "equals")
    await editor.set_condition_path(1, 0, "sfw")
    await editor.set_condition_value(1, 0, "true")


async def test_a_workflow_built_in_the_forms_is_saved_exactly_as_the_json_tab_shows(studio) -> None:
    editor = await _editor()
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


async def test_the_apis_messages_appear_at_the_fields_they_name_and_nothing_is_saved(studio) -> None:
    editor = await _editor()
    await _drain(editor.load(PROFILE_ID))
    before = json.loads(editor.json_text)
    await editor.set_name("  ")
    editor.set_new_task_action("store")
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


async def test_a_condition_needing_a_number_is_flagged_at_its_value(studio) -> None:
    editor = await _editor()
    await _build_two_task_workflow(editor)
    await editor.set_condition_type(1, 0, "gt")
    await editor.set_condition_value(1, 0, "many")
    await _drain(editor.save())
    requirement = editor.tasks[1].requires[0]
    assert "numeric value" in requirement.value_error and requirement.value == "many"
    assert editor.is_new  # not created


async def test_the_json_tab_replaces_the_draft(studio) -> None:
    editor = await _editor()
    await _drain(editor.load("new"))
    await editor.apply_json({"json": "{not json"})
    assert "not valid JSON" in editor.json_error and editor.tasks == []
    await editor.apply_json({"json": json.dumps({"name": "From JSON", "tasks": [{"action": "ocr"}]})})
    assert (
        editor.json_error == "" and editor.name == "From JSON" and [t.action for t in editor.tasks] == ["ocr"]
    )


async def test_the_list_duplicates_and_deletes_through_the_api(studio) -> None:
    state = WorkflowListState()
    await _drain(state.load())
    names = {row.name: row for row in state.workflows}
    profile = names["Profile picture"]
    assert (profile.slot, profile.runs) == ("Profile picture", "Runs on every profile picture upload")
    assert names["Cover photo"].slot == "Cover photo"
    others = [row for row in state.workflows if row.name not in ("Profile picture", "Cover photo")]
    assert others and all(row.slot == "" and row.runs == "Runs only when started" for row in others)
    # Parameters in words: the processing chain as steps, never the raw URL grammar.
    steps = " ".join(line.params for line in profile.tasks)
    assert "resize (width 400, height 400" in steps and "resize=" not in steps
    events = await _drain(state.duplicate(PROFILE_ID))
    assert any("Profile picture (copy)" in str(e) for e in events)
    await _drain(state.load())
    copy = next(row for row in state.workflows if row.name == "Profile picture (copy)")
    state.ask_delete(copy.id)
    assert state.confirm_delete == copy.id
    await _drain(state.delete(copy.id))
    assert state.confirm_delete == "" and copy.id not in {row.id for row in state.workflows}
    async with studio.open_client() as fs:
        assert copy.id not in {w.id for w in await fs.workflows_api.list_workflows()}


async def test_a_test_run_on_a_sample_shows_each_task_finish_with_results_and_outputs(studio) -> None:
    editor = await _editor()
    await _build_two_task_workflow(editor)
    await _drain(editor.save())
    async with event_processor() as events:
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


async def test_a_run_needs_a_saved_workflow_and_a_photo(studio) -> None:
    async with event_processor() as events:
        editor_state = await events.state(WorkflowEditorState)
        await _drain(editor_state.load("new"))
        await events.run(SampleRunState, "prepare")
        await events.run(SampleRunState, "run_sample")
        assert (await events.state(SampleRunState)).phase == "idle"  # nothing started for an unsaved workflow
        await _drain(editor_state.load(PROFILE_ID))
        run = await events.state(SampleRunState)
        await _drain(run.run_upload([rx.UploadFile(file=io.BytesIO(b"hello" * 99), path=Path("notes.jpg"))]))
        assert run.phase == "failed" and "not an image" in run.message and run.job_uuid == ""


async def test_the_console_filters_pages_and_shows_a_job_with_its_webhook_attempts(studio) -> None:
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

        jobs = JobListState()
        await jobs.set_workflow_filter(hooked.id)
        assert [row.uuid for row in jobs.rows] == list(reversed(uuids))
        assert all(row.workflow_name == "hooked" and row.state == "done" for row in jobs.rows)
        await jobs.set_status_filter("failed")
        assert jobs.rows == []
        await jobs.set_status_filter("")
        await jobs.set_time_filter("15m")
        assert len(jobs.rows) == 3 and jobs.page == 1 and not jobs.has_next

        detail = JobDetailState()
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


async def test_jobs_page_through_the_cursor(studio, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("dashboard.state.jobs.PAGE_SIZE", 2)
    async with studio.open_client() as fs:
        stored = await fs.upload(
            (Path(__file__).parents[1] / "assets/samples/rocket.jpg").read_bytes(), filename="rocket.jpg"
        )
        wf = await fs.workflows_api.create_workflow({"name": "keep", "tasks": [{"action": "store"}]})
        uuids = [(await fs.workflows_api.start_job(wf.id, handle=stored.handle)).uuid for _ in range(5)]
        for uuid in uuids:
            await wait_until_finished(fs.workflows_api.get_job, uuid)
    jobs = JobListState()
    await jobs.set_workflow_filter(wf.id)
    seen = [row.uuid for row in jobs.rows]
    while jobs.has_next:
        await jobs.next_page()
        seen += [row.uuid for row in jobs.rows]
    assert seen == list(reversed(uuids)) and jobs.page == 3
    await jobs.previous_page()
    assert jobs.page == 2 and [row.uuid for row in jobs.rows] == list(reversed(uuids))[2:4]


async def test_a_missing_job_says_so(studio) -> None:
    detail = JobDetailState()
    await _drain(detail.load("00000000-0000-0000-0000-000000000000"))
    assert not detail.found and "no such job" in detail.error


async def test_one_function_decides_who_may_use_the_studio(studio, monkeypatch: pytest.MonkeyPatch) -> None:
    assert studio_access.can_use_studio(studio_access.ANONYMOUS)
    monkeypatch.setattr("dashboard.state.studio.can_use_studio", lambda viewer: False)
    refused = WorkflowListState()
    await _drain(refused.load())
    assert not refused.allowed and refused.workflows == []
    editor = await _editor()
    await _drain(editor.load(PROFILE_ID))
    assert not editor.loaded and editor.tasks == []
    await _drain(WorkflowListState().delete(PROFILE_ID))
    async with studio.open_client() as fs:
        assert PROFILE_ID in {w.id for w in await fs.workflows_api.list_workflows()}
    gate = StudioState()
    await gate.check_access()
    assert not gate.allowed


async def test_the_editor_deletes_after_asking(studio) -> None:
    async with studio.open_client() as fs:
        created = await fs.workflows_api.create_workflow(
            {"name": "short-lived", "tasks": [{"action": "sfw"}]}
        )
    editor = await _editor()
    await _drain(editor.load(created.id))
    editor.ask_delete(True)
    assert editor.confirm_delete
    events = await _drain(editor.delete())
    assert not editor.confirm_delete and "/workflows" in _names(events)
    async with studio.open_client() as fs:
        assert created.id not in {w.id for w in await fs.workflows_api.list_workflows()}
