"""The Workflows REST API held to its own OpenAPI document by schemathesis.

The service runs as a real process on loopback (``python -m dashboard.local_filestack``) with the
tests' key and secret; schemathesis sends:

* to every operation: its examples, coverage cases and fuzzed data, both valid (positive) and
  invalid (negative: wrong types, missing or unknown fields, bodies that are not JSON objects);
* on a fresh service: sequences of valid requests that follow the document's links (create a
  workflow, then read, replace, delete it and start a job of it; start a job, then read it, its
  webhook attempts, cancel it and replay it), checking that each link was followed.

Every answer must be documented: no server error, a documented status code, a body matching its
schema. The run is bounded (a fixed number of examples and steps, fixed seeds) and has no deadline,
so a loaded machine makes it slower, never red.

Every URL the generated data would make the service reach out to (a job's ``url`` or ``handle``, a
workflow's ``webhook``) is pointed at a loopback address the service refuses without connecting,
so nothing leaves the machine.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, seed, settings
from hypothesis.errors import Flaky
from local_service import API_KEY, SECRET
from schemathesis import Case, GenerationMode
from schemathesis.config import HealthCheck as SchemathesisHealthCheck
from schemathesis.core.failures import FailureGroup
from schemathesis.openapi.checks import EnsureResourceAvailability
from service_process import ServiceProcess
from workflow_support import AUTH, REST, running_workflows

from dashboard.local_filestack.config.credentials import CREDENTIALS_FILE, Credentials
from dashboard.local_filestack.workflows.api.openapi import ENDPOINTS, LINKS, openapi_document, operation_id

#: Where generated URLs go instead: loopback, not an allowed fetch host, so refused before connecting.
NOWHERE = "http://127.0.0.1:9/refused"
#: Fields whose string values the service would fetch or call.
URL_FIELDS = ("url", "handle", "webhook")
#: Examples per operation and phase; scenarios per stateful run, steps per scenario, runs (each
#: under its own seed) and calls at least.
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 10
STATEFUL_RUNS = 8
MIN_STATEFUL_STEPS = 300
SEED = 20261130
#: Operations the sequences must reach with something an earlier step made, and the answers that
#: show they did: a replaced workflow's new definition may be refused (400 comes after the lookup),
#: a job may end on its own before its cancel (409).
LINKED: dict[tuple[str, str], set[int]] = {
    ("POST", "/workflows"): {201},
    ("GET", "/workflows/{workflow_id}"): {200},
    ("PUT", "/workflows/{workflow_id}"): {200, 400},
    ("DELETE", "/workflows/{workflow_id}"): {200},
    ("POST", "/jobs"): {201},
    ("GET", "/jobs/{job_id}"): {200},
    ("GET", "/jobs/{job_id}/webhooks"): {200},
    ("POST", "/jobs/{job_id}/cancel"): {200, 409},
    ("POST", "/jobs/{job_id}/replay"): {201},
}
#: The workflow the sequences start with (its jobs' source is refused, so they end at once).
SEED_WORKFLOW = {
    "name": "seed",
    "tasks": [{"id": "thumb", "action": "process", "params": {"tasks": "resize=w:32"}}],
}
#: Generous per-request timeout (s): a busy 2-core machine is slow, not broken.
REQUEST_TIMEOUT_S = 60


def keep_on_loopback(case: Case) -> None:
    """Point every URL-looking value the service would use at :data:`NOWHERE`."""
    if isinstance(case.body, dict):
        for name in URL_FIELDS:
            value = case.body.get(name)
            if isinstance(value, str) and ":" in value:
                case.body[name] = NOWHERE


def bounded_config() -> schemathesis.Config:
    """The run's bounds (derandomized, a fixed number of examples) and the service's auth."""
    config = schemathesis.Config(seed=SEED)
    project = config.projects.default
    project.update(
        basic_auth=(API_KEY, SECRET),
        request_timeout=REQUEST_TIMEOUT_S,
        suppress_health_check=[SchemathesisHealthCheck.all],
    )
    # The document says what a valid body looks like; the service checks more than JSON schema can
    # say (actions exist, params fit the action, tasks form a graph, one job source), so a body the
    # schema allows may get a documented 400: the "schema-valid request rejected" check is off.
    project.checks.update(excluded_check_names=["positive_data_acceptance"])
    project.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
        max_examples=MAX_EXAMPLES,
        deterministic=True,
        database="none",
    )
    return config


def refuse_job_sources(case: Case) -> None:
    """A job's source given as a string becomes :data:`NOWHERE`, so a job of an existing workflow is
    created and then fails at once, without fetching: the sequences can follow it (read, cancel,
    replay) without a real file, a model or a network."""
    if case.method == "POST" and case.path == "/jobs" and isinstance(case.body, dict):
        for name in ("handle", "url"):
            if isinstance(case.body.get(name), str):
                case.body[name] = NOWHERE


@contextlib.contextmanager
def running_service(data_dir: Path) -> Iterator[ServiceProcess]:
    """The service as it runs on its own, on a free loopback port, with the tests' key and secret."""
    data_dir.mkdir(parents=True)
    credentials = Credentials(api_key=API_KEY, app_secret=SECRET)
    (data_dir / CREDENTIALS_FILE).write_text(credentials.model_dump_json())
    with ServiceProcess(data_dir, env={"WORKFLOW_PROCESS_WORKERS": "1"}) as running:
        yield running


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """One service for every operation's run."""
    with running_service(tmp_path_factory.mktemp("schemathesis") / "data") as running:
        yield running


#: The generated document (the one the service serves, see test_workflow_api_docs), loaded at
#: collection so each operation is a test of its own; requests go to the started service.
schema = schemathesis.openapi.from_dict(openapi_document(), config=bounded_config())


@schema.parametrize()
@settings(deadline=None)
def test_every_operation_answers_as_documented(case: Case, service: ServiceProcess) -> None:
    keep_on_loopback(case)
    case.call_and_validate(base_url=f"{service.url}{REST}")


def test_linked_sequences_answer_as_documented(tmp_path: Path) -> None:
    with running_service(tmp_path / "data") as service:
        run_linked_sequences(f"{service.url}{REST}")


def _workflow_deleted_before(failure: Any, case: Case, base: str) -> bool:
    """A job started again from an earlier job (a link) after a scenario deleted its workflow is
    rightly answered 404; schemathesis's "created resource not found" check sees only that the job
    was created. The failure stands unless the workflow the body names is really gone."""
    if not isinstance(failure, EnsureResourceAvailability) or (case.method, case.path) != ("POST", "/jobs"):
        return False
    workflow = (case.body or {}).get("workflow") if isinstance(case.body, dict) else None
    if not workflow:
        return False
    with httpx.Client(base_url=base, auth=(API_KEY, SECRET), timeout=REQUEST_TIMEOUT_S) as client:
        return client.get(f"/workflows/{workflow}").status_code == 404


def run_linked_sequences(base: str) -> None:
    """Schemathesis's state machine on the served document, from a fresh service: valid data only
    (invalid data is the operations' run), so that what one step creates the next can use."""
    served = schemathesis.openapi.from_url(f"{base}/openapi.json", config=bounded_config())
    served.config.update(base_url=base)
    served.config.generation.update(modes=[GenerationMode.POSITIVE])
    # A workflow and jobs to start from: the lists lead to them (links schemathesis infers from
    # GET /workflows and GET /jobs), and from them the document's links lead on.
    with httpx.Client(base_url=base, auth=(API_KEY, SECRET), timeout=REQUEST_TIMEOUT_S) as client:
        created = client.post("/workflows", json=SEED_WORKFLOW)
        assert created.status_code == 201, created.text
        for _ in range(2):
            started = client.post("/jobs", json={"workflow": created.json()["id"], "url": NOWHERE})
            assert started.status_code == 201, started.text
    # Failures are collected, not raised inside the state machine: the service keeps what each
    # scenario created, so Hypothesis could not replay a scenario to shrink it (it would see
    # different lists of workflows and jobs); the report names each failure with a curl line.
    failures: dict[tuple[str, str, str], str] = {}
    answered: Counter[tuple[str, str, int]] = Counter()

    class Sequences(served.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            keep_on_loopback(case)
            refuse_job_sources(case)

        def validate_response(self, response: Any, case: Case, *args: Any, **kwargs: Any) -> None:
            answered[(case.method, case.path, response.status_code)] += 1
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as group:
                for failure in group.exceptions:
                    if not _workflow_deleted_before(failure, case, base):
                        failures.setdefault((case.method, case.path, failure.title), str(group))

    def missing() -> list[tuple[str, str]]:
        """Linked operations not yet answered as :data:`LINKED` expects."""
        reached = {
            (method, path) for method, path, status in answered if status in LINKED.get((method, path), ())
        }
        return sorted(set(LINKED) - reached)

    # Runs under a fixed list of seeds until every linked operation was reached (at least
    # MIN_STATEFUL_STEPS calls, at most STATEFUL_RUNS runs). A replay that sees the service answer
    # differently (it keeps what earlier scenarios made; jobs end on their own) makes Hypothesis
    # stop with Flaky: what ran until then was checked, and the next run goes on, as schemathesis's
    # own runner does.
    for run in range(STATEFUL_RUNS):
        if not missing() and answered.total() >= MIN_STATEFUL_STEPS:
            break
        with contextlib.suppress(Flaky):
            seed(SEED + run)(Sequences).run(
                settings=settings(
                    max_examples=STATEFUL_SCENARIOS,
                    stateful_step_count=STATEFUL_STEPS,
                    deadline=None,
                    database=None,
                    suppress_health_check=list(HealthCheck),
                )
            )
    assert not failures, "\n\n".join(failures.values())
    assert not missing(), f"never reached: {missing()}; answers: {sorted(answered.items())}"


def test_links_name_documented_operations() -> None:
    document = openapi_document()
    operations = {
        operation["operationId"]: operation
        for path in document["paths"].values()
        for operation in path.values()
    }
    assert len(operations) == len(ENDPOINTS)
    for (method, path, status), links in LINKS.items():
        answer = document["paths"][path][method]["responses"][str(status)]
        assert set(answer["links"]) == {link.name for link in links}
        for link in links:
            target = operations[operation_id(link.method, link.path)]
            named = {parameter["name"] for parameter in target.get("parameters", [])}
            assert {name.split(".")[-1] for name in link.parameters} <= named
            if link.body is not None:
                assert "requestBody" in target


async def test_job_listing_takes_far_dates_and_refuses_numbers(tmp_path: Path) -> None:
    """What the run found: a bound outside 1677-2262 was a 500, a number of seconds was taken."""
    async with running_workflows(tmp_path) as running:
        created = await running.client.post(f"{REST}/workflows", auth=AUTH, json=SEED_WORKFLOW)
        workflow = created.json()["id"]
        started = await running.client.post(
            f"{REST}/jobs", auth=AUTH, json={"workflow": workflow, "url": NOWHERE}
        )
        assert started.status_code == 201, started.text

        async def listed(**query: str) -> httpx.Response:
            return await running.client.get(f"{REST}/jobs", auth=AUTH, params=query)

        since_antiquity = await listed(createdAfter="0409-02-27T06:16:41Z")
        before_antiquity = await listed(createdBefore="0409-02-27T06:16:41Z")
        until_far_future = await listed(createdBefore="9999-12-31T23:59:59+14:00")
        after_far_future = await listed(createdAfter="9999-12-31T23:59:59-12:00")
        seconds = await listed(createdBefore="0.5")
    for answer in (since_antiquity, before_antiquity, until_far_future, after_far_future):
        assert answer.status_code == 200, answer.text
    assert [job["uuid"] for job in since_antiquity.json()] == [started.json()["uuid"]]
    assert [job["uuid"] for job in until_far_future.json()] == [started.json()["uuid"]]
    assert before_antiquity.json() == [] and after_far_future.json() == []
    assert seconds.status_code == 400 and "RFC 3339" in seconds.json()["error"]
