"""The client's Workflows REST API calls against the embedded service, in-process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from local_service import API_KEY, image_bytes
from studio_support import studio_service, wait_until_finished
from webhook_receiver import receiving

from dashboard.filestack import (
    ClientConfig,
    ConditionType,
    FilestackClient,
    FilestackError,
    FilestackNotFound,
    JobQuery,
    JobState,
    Requirement,
    TaskSpec,
    TaskState,
    WorkflowRejected,
    WorkflowSpec,
)

TWO_TASKS: dict[str, Any] = {
    "name": "Check then thumbnail",
    "tasks": [
        {"id": "check", "action": "sfw"},
        {
            "id": "thumb",
            "action": "process",
            "params": {"tasks": "resize=width:120/store=location:s3"},
            "requires": [{"task": "check", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}],
        },
    ],
}


@pytest.fixture()
async def studio(tmp_path: Path):
    async with studio_service(tmp_path, allow_private_fetch=True) as running:
        yield running


async def test_action_contracts_describe_every_action(studio) -> None:
    async with studio.open_client() as fs:
        contracts = {c.name: c for c in await fs.workflows_api.action_contracts()}
    assert {"process", "store", "delete", "sfw", "ocr", "tags", "copyright"} <= set(contracts)
    location = contracts["store"].params["properties"]["location"]
    assert location["default"] == "s3" and "gcs" in location["enum"]
    assert contracts["process"].params["required"] == ["tasks"]
    assert "nsfw" in contracts["sfw"].output["properties"]


async def test_create_read_update_delete_a_workflow(studio) -> None:
    async with studio.open_client() as fs:
        api = fs.workflows_api
        created = await api.create_workflow({**TWO_TASKS, "webhook": "https://example.com/hook"})
        assert created.id and created.created_at is not None
        assert [t.task_id for t in created.tasks] == ["check", "thumb"]
        condition = created.tasks[1].requires[0].condition
        assert condition is not None and condition.type is ConditionType.EQUALS and condition.path == ["sfw"]

        fetched = await api.get_workflow(created.id)
        definition = fetched.definition()
        assert definition["name"] == TWO_TASKS["name"] and definition["webhook"] == "https://example.com/hook"
        assert definition["tasks"][1]["params"] == {"tasks": "resize=width:120/store=location:s3"}
        assert definition["tasks"][1]["requires"] == TWO_TASKS["tasks"][1]["requires"]

        renamed = await api.update_workflow(created.id, {**fetched.definition(), "name": "Renamed"})
        assert renamed.id == created.id and renamed.name == "Renamed"
        assert renamed.created_at == created.created_at
        assert "Renamed" in [w.name for w in await api.list_workflows()]

        await api.delete_workflow(created.id)
        with pytest.raises(FilestackNotFound):
            await api.get_workflow(created.id)
        assert created.id not in [w.id for w in await api.list_workflows()]


async def test_a_typed_spec_is_sent_as_its_fields(studio) -> None:
    spec = WorkflowSpec(
        name="typed",
        tasks=[
            TaskSpec(id="check", action="sfw"),
            TaskSpec(
                id="gone",
                action="delete",
                requires=[Requirement(task="check", condition={"type": "gt", "value": 50, "path": ["nsfw"]})],
            ),
        ],
    )
    assert spec.body()["tasks"][1]["requires"][0]["condition"] == {
        "type": "gt",
        "value": 50,
        "path": ["nsfw"],
    }
    async with studio.open_client() as fs:
        created = await fs.workflows_api.create_workflow(spec)
    assert created.tasks[1].requires[0].task == "check"


@pytest.mark.parametrize(
    ("body", "key", "words"),
    [
        ({"name": " ", "tasks": [{"action": "sfw"}]}, "name", "must not be empty"),
        ({"name": "x", "tasks": [{"action": "sfw"}], "webhook": "ftp://x"}, "webhook", "http or https"),
        (
            {"name": "x", "tasks": [{"id": "a", "action": "teleport"}]},
            "tasks.0.action",
            "unknown action 'teleport'",
        ),
        (
            {"name": "x", "tasks": [{"action": "sfw"}, {"action": "store", "params": {"location": "moon"}}]},
            "tasks.1.params.location",
            "'moon'",
        ),
        (
            {"name": "x", "tasks": [{"id": "p", "action": "process", "params": {}}]},
            "tasks.0.params.tasks",
            "Field required",
        ),
        ({"name": "x", "tasks": [{"action": "sfw"}, {"action": "sfw"}]}, "tasks.1.id", "unique id"),
        (
            {"name": "x", "tasks": [{"id": "a", "action": "sfw"}, {"id": "a", "action": "ocr"}]},
            "tasks.1.id",
            "duplicate",
        ),
        (
            {
                "name": "x",
                "tasks": [{"id": "a", "action": "sfw", "requires": [{"task": "ocr"}, {"task": "nobody"}]}],
            },
            "tasks.0.requires.1.task",
            "unknown task 'nobody'",
        ),
        (
            {
                "name": "x",
                "tasks": [
                    {
                        "id": "a",
                        "action": "sfw",
                        "requires": [{"task": "sfw", "condition": {"type": "gt", "value": "many"}}],
                    }
                ],
            },
            "tasks.0.requires.0.condition.value",
            "numeric value",
        ),
        (
            {
                "name": "x",
                "tasks": [
                    {
                        "id": "a",
                        "action": "sfw",
                        "requires": [{"task": "sfw", "condition": {"type": "near", "value": 1}}],
                    }
                ],
            },
            "tasks.0.requires.0.condition.type",
            "'near'",
        ),
        (
            {
                "name": "x",
                "tasks": [
                    {
                        "id": "a",
                        "action": "sfw",
                        "requires": [
                            {"task": "sfw", "condition": {"type": "equals", "value": 1, "path": [1.5]}}
                        ],
                    }
                ],
            },
            "tasks.0.requires.0.condition.path",
            "neither a string nor an integer",
        ),
    ],
)
async def test_a_refused_workflow_names_the_field(studio, body: dict[str, Any], key: str, words: str) -> None:
    async with studio.open_client() as fs:
        with pytest.raises(WorkflowRejected) as info:
            await fs.workflows_api.create_workflow(body)
    problems = {problem.key: problem.message for problem in info.value.problems}
    assert key in problems, (problems, info.value.message)
    assert words in problems[key]
    assert info.value.status == 400


async def test_a_cycle_is_placed_on_the_requirements_that_close_it(studio) -> None:
    body = {
        "name": "loop",
        "tasks": [
            {"id": "a", "action": "sfw", "requires": [{"task": "b"}]},
            {"id": "b", "action": "ocr", "requires": [{"task": "a"}]},
        ],
    }
    async with studio.open_client() as fs:
        created = await fs.workflows_api.create_workflow({"name": "fine", "tasks": [{"action": "sfw"}]})
        with pytest.raises(WorkflowRejected) as info:
            await fs.workflows_api.update_workflow(created.id, body)
        assert (await fs.workflows_api.get_workflow(created.id)).name == "fine"  # nothing lost
    assert {p.key for p in info.value.problems} == {"tasks.0.requires.0.task", "tasks.1.requires.0.task"}


async def test_a_job_runs_and_its_webhook_attempts_are_listed(studio) -> None:
    with receiving([503]) as receiver:
        async with studio.open_client() as fs:
            api = fs.workflows_api
            workflow = await api.create_workflow({**TWO_TASKS, "webhook": receiver.url})
            stored = await fs.upload(image_bytes(640, 480), filename="sample.jpg")
            started = await api.start_job(workflow.id, handle=stored.handle)
            assert started.state in (JobState.PENDING, JobState.RUNNING) and started.handle == stored.handle
            assert set(started.tasks) == {"check", "thumb"}
            job = await wait_until_finished(api.get_job, started.uuid)
            assert job.state is JobState.DONE, job.status.text
            assert {name: p.state for name, p in job.tasks.items()} == {
                "check": TaskState.DONE,
                "thumb": TaskState.DONE,
            }
            assert job.results["check"].payload()["sfw"] is True
            (output,) = job.stored_outputs()
            assert output.task == "thumb" and output.width == 120 and output.handle
            await studio.wait_webhooks()
            log = await api.job_webhooks(job.uuid)
    assert log.webhook == receiver.url and [a.attempt for a in log.attempts] == [1, 2]
    first, second = log.attempts
    assert (first.status_code, first.delivered, first.error) == (503, False, "answered HTTP 503")
    assert (second.status_code, second.delivered) == (200, True)
    assert second.duration_ms is not None and second.duration_ms >= 0
    assert len(receiver.deliveries) == 2


async def test_jobs_are_listed_newest_first_with_filters_and_pages(studio) -> None:
    async with studio.open_client() as fs:
        api = fs.workflows_api
        ok = await api.create_workflow({"name": "ok", "tasks": [{"id": "keep", "action": "store"}]})
        broken = await api.create_workflow(
            {
                "name": "broken",
                "tasks": [{"id": "bad", "action": "process", "params": {"tasks": "resize=width:0"}}],
            }
        )
        stored = await fs.upload(image_bytes(200, 150), filename="a.jpg")
        before = datetime.now(UTC) - timedelta(seconds=1)
        order = []
        for workflow in (ok, broken, ok, ok, broken):
            started = await api.start_job(workflow.id, handle=stored.handle)
            await wait_until_finished(api.get_job, started.uuid)
            order.append(started.uuid)
        newest_first = list(reversed(order))

        everything = await api.list_jobs(JobQuery(limit=50))
        assert [j.uuid for j in everything.jobs][:5] == newest_first and everything.next_cursor is None

        failed = await api.list_jobs(JobQuery(status=JobState.FAILED))
        assert [j.uuid for j in failed.jobs] == [newest_first[0], newest_first[3]]
        assert all("width" in j.status.text for j in failed.jobs)

        of_ok = await api.list_jobs(JobQuery(workflow=ok.id, status=JobState.DONE))
        assert [j.uuid for j in of_ok.jobs] == [newest_first[1], newest_first[2], newest_first[4]]

        pages, cursor = [], None
        while True:
            page = await api.list_jobs(JobQuery(created_after=before, limit=2, after=cursor))
            pages.append([j.uuid for j in page.jobs])
            cursor = page.next_cursor
            if cursor is None:
                break
        assert pages == [newest_first[0:2], newest_first[2:4], newest_first[4:5]]

        later = await api.list_jobs(JobQuery(created_after=datetime.now(UTC) + timedelta(minutes=1)))
        assert later.jobs == []
        earlier = await api.list_jobs(JobQuery(created_before=before))
        assert not set(order) & {j.uuid for j in earlier.jobs}


async def test_start_job_arguments_are_checked(studio) -> None:
    async with studio.open_client() as fs:
        with pytest.raises(ValueError, match="exactly one"):
            await fs.workflows_api.start_job("wf", handle="A" * 20, url="https://example.com/a.jpg")
        with pytest.raises(ValueError, match="workflow_id"):
            await fs.workflows_api.start_job("../x", handle="A" * 20)
        with pytest.raises(FilestackNotFound):
            await fs.workflows_api.get_job("00000000-0000-0000-0000-000000000000")


async def test_the_rest_api_needs_the_secret(studio) -> None:
    config = ClientConfig.embedded("http://testserver", api_key=API_KEY)
    async with FilestackClient(config) as fs:
        with pytest.raises(FilestackError, match="app secret"):
            await fs.workflows_api.list_workflows()
