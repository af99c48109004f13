"""The Workflows REST API held to its own OpenAPI document by schemathesis.

The service runs as a real process on loopback (``python -m dashboard.local_filestack``); schemathesis
loads ``/workflows-beta/openapi.json`` from it and sends, with the service's key and secret:

* every operation's examples, its coverage cases and fuzzed data, both valid (positive) and invalid
  (negative: wrong types, missing fields, unknown fields, bodies that are not JSON objects);
* sequences that follow the document's links: create a workflow, then read, replace, delete it and
  start a job of it; start a job, then read it, its webhook attempts, cancel it and replay it.

Every answer must be documented: no server error, a documented status code, a body matching its
schema. The run is bounded (a fixed number of examples and steps, derandomized) and has no
deadline, so a loaded machine makes it slower, never red.

Every URL the generated data would make the service reach out to (a job's ``url`` or ``handle``, a
workflow's ``webhook``) is pointed at a loopback address the service refuses without connecting,
so nothing leaves the machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from local_service import API_KEY, SECRET
from schemathesis import Case, GenerationMode
from schemathesis.config import HealthCheck as SchemathesisHealthCheck
from schemathesis.core.failures import FailureGroup
from service_process import ServiceProcess
from workflow_support import REST

from dashboard.local_filestack.config.credentials import CREDENTIALS_FILE, Credentials
from dashboard.local_filestack.workflows.api.openapi import ENDPOINTS, LINKS, openapi_document, operation_id

#: Where generated URLs go instead: loopback, not an allowed fetch host, so refused before connecting.
NOWHERE = "http://127.0.0.1:9/refused"
#: Fields whose string values the service would fetch or call.
URL_FIELDS = ("url", "handle", "webhook")
#: Examples per operation and phase; steps per stateful scenario and scenarios.
MAX_EXAMPLES = 25
STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 6
SEED = 20261130
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


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    """The service as it runs on its own, on a free loopback port, with the tests' key and secret."""
    data_dir: Path = tmp_path_factory.mktemp("schemathesis") / "data"
    data_dir.mkdir()
    credentials = Credentials(api_key=API_KEY, app_secret=SECRET)
    (data_dir / CREDENTIALS_FILE).write_text(credentials.model_dump_json())
    with ServiceProcess(data_dir, env={"WORKFLOW_PROCESS_WORKERS": "1"}) as running:
        yield running


#: The generated document (the one the service serves, see test_workflow_api_docs), loaded at
#: collection so each operation is a test of its own; requests go to the started service.
schema = schemathesis.openapi.from_dict(openapi_document(), config=bounded_config())


@schema.parametrize()
@settings(deadline=None)
def test_every_operation_answers_as_documented(case: Case, service: ServiceProcess) -> None:
    keep_on_loopback(case)
    case.call_and_validate(base_url=f"{service.url}{REST}")


def test_linked_sequences_answer_as_documented(service: ServiceProcess) -> None:
    served = schemathesis.openapi.from_url(f"{service.url}{REST}/openapi.json", config=bounded_config())
    served.config.update(base_url=f"{service.url}{REST}")
    # Failures are collected, not raised inside the state machine: the service keeps what each
    # scenario created, so Hypothesis could not replay a scenario to shrink it (it would see
    # different lists of workflows and jobs); the report names each failure with a curl line.
    failures: dict[tuple[str, str, str], str] = {}

    class Sequences(served.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Case) -> None:
            keep_on_loopback(case)

        def validate_response(self, response: Any, case: Case, *args: Any, **kwargs: Any) -> None:
            try:
                super().validate_response(response, case, *args, **kwargs)
            except FailureGroup as group:
                for failure in group.exceptions:
                    failures.setdefault((case.method, case.path, failure.title), str(group))

    Sequences.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
    assert not failures, "\n\n".join(failures.values())


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
