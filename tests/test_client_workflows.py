"""run_workflow / workflow_status URLs (seed 001), parsing and wait_for_job."""

from __future__ import annotations

import copy
from typing import Any

import httpx
import pytest
from filestack_fakes import API_KEY, CDN, HANDLE, SEED_RUN, SEED_STATUS, decode_policy, make_client

from dashboard.filestack import (
    FilestackServerError,
    WorkflowFailed,
    WorkflowStatus,
    WorkflowTimeout,
)
from dashboard.filestack_protocol.grammar import parse_path

WORKFLOW_ID = "67d273c3-249c-4192-b228-9c3e1d003963"
JOB_ID = "5aef4e90-4c6c-4779-ac8b-289cff108792"


def _run_ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=SEED_RUN)


def _split_security(url: str) -> tuple[str, dict[str, Any]]:
    """The URL with its policy/signature replaced by P/S, and the decoded policy."""
    task = parse_path(httpx.URL(url).path).task("security")
    assert task is not None
    policy, signature = str(task.params["policy"]), str(task.params["signature"])
    return url.replace(policy, "P").replace(signature, "S"), decode_policy(policy)


@pytest.mark.asyncio
async def test_run_workflow_on_a_handle() -> None:
    client, recorder = make_client(_run_ok)
    async with client:
        run = await client.run_workflow(WORKFLOW_ID, HANDLE)
    assert run.jobid == "7dba00f5-aee2-4f65-bd16-631e626b3c93" and run.status == "Started"
    (request,) = recorder.requests
    assert request.method == "GET"
    url, policy = _split_security(str(request.url))
    assert url == f"{CDN}/security=p:P,s:S/run_workflow=id:{WORKFLOW_ID}/{HANDLE}"
    assert policy == {"call": ["convert", "read", "runWorkflow"], "expiry": 1_700_000_300, "handle": HANDLE}


@pytest.mark.asyncio
async def test_run_workflow_on_an_external_url() -> None:
    client, recorder = make_client(_run_ok)
    source = "https://www.google.com/images/branding/googlelogo/2x/googlelogo_color_272x92dp.png"
    async with client:
        await client.run_workflow(WORKFLOW_ID, source)
    url, policy = _split_security(str(recorder.requests[0].url))
    assert url == f"{CDN}/{API_KEY}/security=p:P,s:S/run_workflow=id:{WORKFLOW_ID}/{source}"
    assert "handle" not in policy
    parsed = parse_path(recorder.requests[0].url.path)
    assert parsed.apikey == API_KEY and parsed.sources == (source,)
    assert [t.name for t in parsed.tasks] == ["security", "run_workflow"]


@pytest.mark.asyncio
async def test_run_workflow_on_a_storage_alias() -> None:
    client, recorder = make_client(_run_ok)
    async with client:
        await client.run_workflow(WORKFLOW_ID, "src://test_alias/test.png")
    url, _ = _split_security(str(recorder.requests[0].url))
    assert url == f"{CDN}/{API_KEY}/security=p:P,s:S/run_workflow=id:{WORKFLOW_ID}/src://test_alias/test.png"


@pytest.mark.asyncio
async def test_run_workflow_without_secret_and_on_the_embedded_service() -> None:
    client, recorder = make_client(_run_ok, secret=None, cdn_url="http://127.0.0.1:8000/cdn")
    async with client:
        await client.run_workflow(WORKFLOW_ID, HANDLE)
    assert (
        str(recorder.requests[0].url) == f"http://127.0.0.1:8000/cdn/run_workflow=id:{WORKFLOW_ID}/{HANDLE}"
    )


@pytest.mark.asyncio
async def test_run_workflow_is_never_retried() -> None:
    client, recorder = make_client(lambda r: httpx.Response(503, json={"error": "busy"}))
    async with client:
        with pytest.raises(FilestackServerError):
            await client.run_workflow(WORKFLOW_ID, HANDLE)
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_ids_are_checked() -> None:
    client, _ = make_client()
    async with client:
        with pytest.raises(ValueError, match="workflow_id"):
            await client.run_workflow("../evil", HANDLE)
        with pytest.raises(ValueError, match="jobid"):
            await client.workflow_status("a/b")


@pytest.mark.asyncio
async def test_workflow_status_url_and_parsing() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json=SEED_STATUS))
    async with client:
        status = await client.workflow_status(JOB_ID)
    url, policy = _split_security(str(recorder.requests[0].url))
    assert url == f"{CDN}/{API_KEY}/security=p:P,s:S/workflow_status=job_id:{JOB_ID}"
    assert policy["call"] == ["convert", "read", "runWorkflow"]
    assert status.finished and status.jobid == JOB_ID
    assert "tags_1571950225779" in status.results
    parsed = parse_path(recorder.requests[0].url.path)
    assert parsed.tasks[-1].params == {"job_id": JOB_ID} and parsed.sources == ()


@pytest.mark.asyncio
async def test_workflow_status_is_retried_on_503() -> None:
    answers = iter([httpx.Response(503), httpx.Response(200, json=SEED_STATUS)])
    client, recorder = make_client(lambda r: next(answers))
    async with client:
        status = await client.workflow_status(JOB_ID)
    assert status.finished and len(recorder.requests) == 2


def _statuses(*names: str, **extra: Any) -> Any:
    bodies = []
    for name in names:
        body = copy.deepcopy(SEED_STATUS)
        body["status"] = name
        if name != "Finished":
            body["results"] = {}
        body.update(extra)
        bodies.append(body)
    answers = iter(bodies)
    return lambda request: httpx.Response(200, json=next(answers))


@pytest.mark.asyncio
async def test_wait_for_job_until_finished() -> None:
    client, recorder = make_client(_statuses("Started", "Started", "Finished"))
    seen: list[str] = []
    seen_async: list[str] = []

    async def record(status: WorkflowStatus) -> None:
        seen_async.append(status.status)

    async with client:
        final = await client.wait_for_job(
            JOB_ID,
            interval_s=0.001,
            backoff=2,
            max_interval_s=0.004,
            timeout_s=5,
            on_update=lambda s: seen.append(s.status),
        )
        assert final.finished
        assert seen == ["Started", "Started", "Finished"]
    client2, _ = make_client(_statuses("Started", "Finished"))
    async with client2:
        await client2.wait_for_job(JOB_ID, interval_s=0.001, on_update=record)
    assert seen_async == ["Started", "Finished"]
    assert len(recorder.requests) == 3


@pytest.mark.asyncio
async def test_wait_for_job_raises_on_failed() -> None:
    client, _ = make_client(_statuses("Started", "Failed"))
    async with client:
        with pytest.raises(WorkflowFailed, match=JOB_ID) as info:
            await client.wait_for_job(JOB_ID, interval_s=0.001)
    assert info.value.job.status == "Failed"


@pytest.mark.asyncio
async def test_wait_for_job_raises_on_task_error() -> None:
    body = {"jobid": JOB_ID, "status": "Started", "results": {"sfw_1": {"error": "model unavailable"}}}
    client, _ = make_client(lambda r: httpx.Response(200, json=body))
    async with client:
        with pytest.raises(WorkflowFailed, match="sfw_1: model unavailable"):
            await client.wait_for_job(JOB_ID, interval_s=0.001)


@pytest.mark.asyncio
async def test_wait_for_job_times_out() -> None:
    body = {"jobid": JOB_ID, "status": "Started", "results": {}}
    client, recorder = make_client(lambda r: httpx.Response(200, json=body))
    async with client:
        with pytest.raises(WorkflowTimeout) as info:
            await client.wait_for_job(JOB_ID, interval_s=0.005, timeout_s=0.05)
    assert info.value.jobid == JOB_ID and info.value.waited_s >= 0.05
    assert info.value.last is not None and info.value.last.status == "Started"
    assert len(recorder.requests) >= 2


@pytest.mark.asyncio
async def test_wait_for_job_checks_its_arguments() -> None:
    client, _ = make_client()
    async with client:
        with pytest.raises(ValueError, match="backoff"):
            await client.wait_for_job(JOB_ID, backoff=0.5)
        with pytest.raises(ValueError, match="positive"):
            await client.wait_for_job(JOB_ID, timeout_s=0)
