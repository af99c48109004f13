"""The Workflows REST API described for machines and people: ``GET /workflows-beta/openapi.json``
(OpenAPI 3.1) and ``GET /workflows-beta/docs`` (Swagger UI, served offline).

The document is generated: every schema is a pydantic model's JSON schema -- the request models
the API validates with (:class:`~dashboard.local_filestack.workflows.model.workflow.Workflow`,
:class:`~.rest.JobRequest`, :class:`~.rest.ListQuery`) and the response models below, which the
tests hold the API's answers to -- and the paths come from :data:`ENDPOINTS`, the same list
the routes are documented by. Swagger UI's files come from the npm package ``swagger-ui-dist``,
installed into ``docs_ui/node_modules`` at build time (``make docs-ui``); nothing is fetched
when the page is used.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.workflows.api.rest import CancelRequest, JobRequest, ListQuery
from dashboard.local_filestack.workflows.model.contracts import ACTIONS
from dashboard.local_filestack.workflows.model.jobs import JobStatus
from dashboard.local_filestack.workflows.model.triggers import JobTrigger
from dashboard.local_filestack.workflows.model.workflow import TaskState, Trigger
from dashboard.local_filestack.workflows.model.workflow import Workflow as WorkflowDefinition

#: Where ``npm ci`` puts Swagger UI's files.
ASSETS_DIR = Path(__file__).resolve().parent / "docs_ui" / "node_modules" / "swagger-ui-dist"
#: The files of ``swagger-ui-dist`` the page uses; nothing else of the package is served.
ASSETS = {
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-standalone-preset.js": "text/javascript",
    "favicon-32x32.png": "image/png",
}


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorBody(_Answer):
    """Every error: a message naming what is wrong."""

    error: str


class ActionContractBody(_Answer):
    """An action a task may run: what it accepts and what it records."""

    name: str
    description: str
    params: dict[str, Any] = Field(description="the JSON schema of the action's params")
    output: dict[str, Any] = Field(description="the JSON schema of the result the action records")
    producesFile: bool = Field(
        description="its result names a stored file (handle, url) another task may take as its input"
    )


class Workflow(WorkflowDefinition):
    """A workflow's definition, as sent to create or replace it (the model's fields and the secret)."""

    webhook_secret: str | None = Field(
        default=None,
        min_length=1,
        pattern=r"\S",
        description="signs this workflow's webhooks instead of the service's secret; kept, never shown",
        json_schema_extra={"writeOnly": True},
    )


class WorkflowResource(_Answer):
    """A workflow as the API shows it (``id`` and ``uuid`` are the same; the webhook secret is never shown)."""

    id: str
    uuid: str
    name: str
    tasks: list[dict[str, Any]] = Field(
        description="the tasks as defined (id, action, params, requires, input)"
    )
    webhook: str | None
    triggers: list[Trigger] = Field(description="events that start the workflow by themselves (file uploads)")
    createdAt: str
    updatedAt: str


class JobStatusBody(_Answer):
    """Where a job stands; ``text`` explains a failure."""

    type: JobStatus
    text: str


class TaskProgress(_Answer):
    """One task's state (an extension: the documented body has results only)."""

    state: TaskState
    reason: str | None
    startedAt: str | None = Field(description="when the task started (RFC 3339), null before")
    finishedAt: str | None = Field(description="when the task ended (RFC 3339), null before")


class JobWebhookBody(_Answer):
    """The job body, as documented for the beta API: also the body POSTed to the workflow's webhook."""

    handle: str
    results: dict[str, Any] = Field(description="task id -> result; filled once the job is done")
    status: JobStatusBody
    createdAt: str
    startedAt: str | None
    updatedAt: str
    uuid: str
    workflow: WorkflowResource


class JobResource(JobWebhookBody):
    """A job as ``GET /jobs/{uuid}`` and ``POST /jobs`` answer it: the documented body plus progress."""

    tasks: dict[str, TaskProgress]
    replayOf: str | None = Field(description="the job this one replays, if any")
    cancelledBy: str | None = Field(description="who cancelled the job (it ended failed), if anyone")
    trigger: JobTrigger | None = Field(
        description="the file arrival that started the job (a trigger or workflows named at upload), if any"
    )
    replays: list[str] | None = Field(
        default=None, description="jobs replaying this one (one job's answers only), newest last"
    )


class WebhookAttemptBody(_Answer):
    """One delivery attempt of a job's webhook."""

    attempt: int
    url: str
    at: str
    statusCode: int | None
    error: str | None
    delivered: bool
    durationMs: float


class JobWebhooks(_Answer):
    """Every delivery attempt of a job's webhook, in order."""

    jobid: str
    webhook: str | None
    attempts: list[WebhookAttemptBody]


class Deleted(_Answer):
    """A workflow removed."""

    id: str
    deleted: bool


class QuarantinedFile(_Answer):
    """A file held in quarantine: out of public reach (403) until released; its bytes are kept."""

    handle: str
    reason: str
    job: str | None = Field(description="the workflow job that quarantined it, if any")
    quarantinedAt: str
    filename: str | None
    size: int | None
    mimetype: str | None


class QuarantineList(_Answer):
    """The files held in quarantine, newest first."""

    files: list[QuarantinedFile]


class Released(_Answer):
    """A held file made public again."""

    handle: str
    released: bool


class QuarantineDeleted(_Answer):
    """A held file deleted (its bytes, record and hold)."""

    handle: str
    deleted: bool


@dataclass(frozen=True)
class Endpoint:
    """One operation of the API, as documented."""

    method: str
    path: str
    summary: str
    answers: dict[int, type[BaseModel] | None]
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    list_of: bool = False
    body_required: bool = True


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "get",
        "/tasks",
        "The action contracts (what each action accepts and records)",
        {200: ActionContractBody},
        list_of=True,
    ),
    Endpoint("get", "/workflows", "Every workflow", {200: WorkflowResource}, list_of=True),
    Endpoint(
        "post", "/workflows", "Create a workflow", {201: WorkflowResource, 400: ErrorBody}, body=Workflow
    ),
    Endpoint("get", "/workflows/{workflow_id}", "One workflow", {200: WorkflowResource, 404: ErrorBody}),
    Endpoint(
        "put",
        "/workflows/{workflow_id}",
        "Replace a workflow's definition",
        {200: WorkflowResource, 400: ErrorBody, 404: ErrorBody},
        body=Workflow,
    ),
    Endpoint(
        "delete",
        "/workflows/{workflow_id}",
        "Remove a workflow (started jobs keep running)",
        {200: Deleted, 404: ErrorBody},
    ),
    Endpoint(
        "post",
        "/jobs",
        "Start a job of a workflow on a handle or a URL",
        {201: JobResource, 400: ErrorBody, 404: ErrorBody, 429: ErrorBody},
        body=JobRequest,
    ),
    Endpoint(
        "get",
        "/jobs",
        "Recent jobs, newest first (400: a parameter is invalid or unknown, or the cursor job is gone)",
        {200: JobResource, 400: ErrorBody},
        query=ListQuery,
        list_of=True,
    ),
    Endpoint("get", "/jobs/{job_id}", "One job", {200: JobResource, 404: ErrorBody}),
    Endpoint(
        "get",
        "/jobs/{job_id}/webhooks",
        "A job's webhook delivery attempts",
        {200: JobWebhooks, 404: ErrorBody},
    ),
    Endpoint(
        "post",
        "/jobs/{job_id}/cancel",
        "Cancel a pending or running job: its running tasks are stopped, it ends failed with the reason "
        "(again: the same answer; a job that ended by itself: 409)",
        {200: JobResource, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody},
        body=CancelRequest,
        body_required=False,
    ),
    Endpoint(
        "post",
        "/jobs/{job_id}/replay",
        "Run the job's workflow (as it ran) on the same sources as a new job; each call starts one",
        {201: JobResource, 404: ErrorBody, 429: ErrorBody},
    ),
    Endpoint("get", "/quarantine", "The files held in quarantine", {200: QuarantineList}),
    Endpoint(
        "post",
        "/quarantine/{handle}/release",
        "Release a held file: the CDN and File API serve it again",
        {200: Released, 404: ErrorBody},
    ),
    Endpoint(
        "delete",
        "/quarantine/{handle}",
        "Delete a held file (its bytes, record and hold)",
        {200: QuarantineDeleted, 404: ErrorBody},
    ),
)


def operation_id(method: str, path: str) -> str:
    """An operation's ``operationId``, from its method and path: ``POST /jobs/{job_id}/cancel`` is
    ``postJobsJobIdCancel``."""
    words = (word.title() for part in path.split("/") for word in part.strip("{}").split("_") if word)
    return method + "".join(words)


@dataclass(frozen=True)
class Link:
    """An OpenAPI link: what one answer gives another operation (a runtime expression per parameter
    or request body field, e.g. ``$response.body#/id``), so clients -- and schemathesis's stateful
    runs -- can follow created workflows and jobs."""

    name: str
    description: str
    method: str
    path: str
    parameters: dict[str, str] = field(default_factory=dict)
    body: dict[str, str] | None = None

    def as_openapi(self) -> dict[str, Any]:
        """The Link Object."""
        link: dict[str, Any] = {
            "operationId": operation_id(self.method, self.path),
            "description": self.description,
        }
        if self.parameters:
            link["parameters"] = self.parameters
        if self.body is not None:
            link["requestBody"] = self.body
        return link


_WORKFLOW_ID = {"workflow_id": "$response.body#/id"}
_JOB_ID = {"job_id": "$response.body#/uuid"}
_JOB_WORKFLOW_ID = "$response.body#/workflow/id"
#: What an answer with a workflow leads to.
_FROM_WORKFLOW = (
    Link("GetWorkflow", "Read this workflow", "get", "/workflows/{workflow_id}", _WORKFLOW_ID),
    Link("ReplaceWorkflow", "Replace its definition", "put", "/workflows/{workflow_id}", _WORKFLOW_ID),
    Link("DeleteWorkflow", "Remove it", "delete", "/workflows/{workflow_id}", _WORKFLOW_ID),
    Link("StartJob", "Start a job of it", "post", "/jobs", body={"workflow": "$response.body#/id"}),
    Link("ListJobsOfWorkflow", "Its jobs", "get", "/jobs", {"query.workflow": "$response.body#/id"}),
)
#: What an answer with a job leads to.
_FROM_JOB = (
    Link("GetJob", "Read this job", "get", "/jobs/{job_id}", _JOB_ID),
    Link("GetJobWebhooks", "Its webhook attempts", "get", "/jobs/{job_id}/webhooks", _JOB_ID),
    Link("CancelJob", "Cancel it", "post", "/jobs/{job_id}/cancel", _JOB_ID),
    Link("ReplayJob", "Run it again as a new job", "post", "/jobs/{job_id}/replay", _JOB_ID),
    Link(
        "GetJobWorkflow",
        "Its workflow as it is now",
        "get",
        "/workflows/{workflow_id}",
        {"workflow_id": _JOB_WORKFLOW_ID},
    ),
    Link(
        "StartJobOfWorkflow",
        "Start another job of its workflow",
        "post",
        "/jobs",
        body={"workflow": _JOB_WORKFLOW_ID},
    ),
)
#: What a list of workflows leads to (its first one).
_FROM_WORKFLOWS = (
    Link(
        "StartJobOfFirst",
        "Start a job of the first workflow",
        "post",
        "/jobs",
        body={"workflow": "$response.body#/0/id"},
    ),
)
#: The links of each successful answer: (method, path, status) -> links.
LINKS: dict[tuple[str, str, int], tuple[Link, ...]] = {
    ("get", "/workflows", 200): _FROM_WORKFLOWS,
    ("post", "/workflows", 201): _FROM_WORKFLOW,
    ("get", "/workflows/{workflow_id}", 200): _FROM_WORKFLOW,
    ("put", "/workflows/{workflow_id}", 200): _FROM_WORKFLOW,
    ("post", "/jobs", 201): _FROM_JOB,
    ("get", "/jobs/{job_id}", 200): _FROM_JOB,
    ("post", "/jobs/{job_id}/cancel", 200): _FROM_JOB,
    ("post", "/jobs/{job_id}/replay", 201): _FROM_JOB,
}

_MODELS: tuple[type[BaseModel], ...] = (
    ErrorBody,
    ActionContractBody,
    WorkflowResource,
    JobStatusBody,
    TaskProgress,
    JobWebhookBody,
    JobResource,
    WebhookAttemptBody,
    JobWebhooks,
    Deleted,
    QuarantinedFile,
    QuarantineList,
    Released,
    QuarantineDeleted,
    Workflow,
    JobRequest,
    CancelRequest,
)


def _ref(model: type[BaseModel]) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{model.__name__}"}


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": operation_id(endpoint.method, endpoint.path),
        "summary": endpoint.summary,
        "responses": {},
    }
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
        for name in ("workflow_id", "job_id", "handle")
        if f"{{{name}}}" in endpoint.path
    ]
    if endpoint.query is not None:
        schema = endpoint.query.model_json_schema()
        parameters += [
            {"name": name, "in": "query", "required": False, "schema": field}
            for name, field in schema.get("properties", {}).items()
        ]
    if parameters:
        operation["parameters"] = parameters
    if endpoint.body is not None:
        operation["requestBody"] = {
            "required": endpoint.body_required,
            "content": {"application/json": {"schema": _ref(endpoint.body)}},
        }
    for status, model in endpoint.answers.items():
        content: dict[str, Any] = {"type": "object"}
        if model is not None:
            content = (
                {"type": "array", "items": _ref(model)} if endpoint.list_of and status < 300 else _ref(model)
            )
        operation["responses"][str(status)] = {
            "description": model.__doc__.strip().splitlines()[0] if model and model.__doc__ else "OK",
            "content": {"application/json": {"schema": content}},
        }
        links = LINKS.get((endpoint.method, endpoint.path, status), ())
        if links:
            operation["responses"][str(status)]["links"] = {link.name: link.as_openapi() for link in links}
    operation["responses"]["401"] = {
        "description": "HTTP basic auth with the API key and app secret is missing"
    }
    return operation


def _task_per_action(schemas: dict[str, Any], params_refs: dict[type[BaseModel], dict[str, Any]]) -> None:
    """``Task`` as one variant per registered action (``GET /tasks``), each with that action's params
    schema: the :class:`Workflow` model checks a task's shape, the workflow's validation that its
    action exists and its params fit the action; the document says all of it."""
    base = schemas["Task"]
    variants: dict[str, str] = {}
    for name, contract in sorted(ACTIONS.items()):
        variant = copy.deepcopy(base)
        variant["title"] = f"Task ({name})"
        variant["properties"]["action"] = {"const": name, "title": "Action"}
        variant["properties"]["params"] = params_refs[contract.params_model]
        if contract.params_model.model_json_schema().get("required"):
            variant["required"] = ["action", "params"]
        schemas[f"Task_{name}"] = variant
        variants[name] = f"#/components/schemas/Task_{name}"
    schemas["Task"] = {
        "title": "Task",
        "description": base.get("description", ""),
        "oneOf": [{"$ref": ref} for ref in variants.values()],
        "discriminator": {"propertyName": "action", "mapping": variants},
    }


@functools.cache
def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the Workflows REST API, generated from the models."""
    params_models = list(dict.fromkeys(contract.params_model for contract in ACTIONS.values()))
    refs, definitions = models_json_schema(
        [(model, "validation") for model in (*_MODELS, *params_models)],
        ref_template="#/components/schemas/{model}",
    )
    schemas = definitions.get("$defs", {})
    _task_per_action(schemas, {model: refs[(model, "validation")] for model in params_models})
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in ENDPOINTS:
        paths.setdefault(endpoint.path, {})[endpoint.method] = _operation(endpoint)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Workflows API (beta)",
            "version": "beta",
            "description": (
                "Workflows, their tasks and conditions, and jobs run on files. Every request needs HTTP "
                "basic auth: the API key as user, the app secret as password. A job's webhook receives the "
                "job body (JobWebhookBody), signed with FS-Signature and FS-Timestamp."
            ),
        },
        "servers": [{"url": "."}],
        "components": {
            "schemas": schemas,
            "securitySchemes": {"basic": {"type": "http", "scheme": "basic"}},
        },
        "security": [{"basic": []}],
        "paths": paths,
        "webhooks": {
            "jobFinished": {
                "post": {
                    "summary": "A job of a workflow with a webhook has ended",
                    "requestBody": {"content": {"application/json": {"schema": _ref(JobWebhookBody)}}},
                    "responses": {"200": {"description": "received (any 2xx; others are retried)"}},
                }
            }
        },
    }


_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Workflows API (beta): Swagger UI</title>
  <link rel="stylesheet" href="docs/assets/swagger-ui.css">
  <link rel="icon" type="image/png" href="docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <noscript>The OpenAPI document of the endpoints /workflows, /workflows/{id}, /jobs and /jobs/{uuid} is at
  <a href="openapi.json">openapi.json</a>.</noscript>
  <script src="docs/assets/swagger-ui-bundle.js"></script>
  <script src="docs/assets/swagger-ui-standalone-preset.js"></script>
  <script>
    window.ui = SwaggerUIBundle({
      url: "openapi.json",
      dom_id: "#swagger-ui",
      validatorUrl: null,
      presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
      layout: "StandaloneLayout"
    });
  </script>
</body>
</html>
"""


class ApiDocs:
    """``/openapi.json``, ``/docs`` and Swagger UI's files; public, like Filestack's docs."""

    def __init__(self, assets_dir: Path = ASSETS_DIR) -> None:
        self.assets_dir = assets_dir

    async def openapi(self, request: Request) -> Response:
        """``GET /openapi.json``."""
        return JSONResponse(openapi_document())

    async def page(self, request: Request) -> Response:
        """``GET /docs``: Swagger UI on the document; 503 when its files were never installed."""
        if not (self.assets_dir / "swagger-ui-bundle.js").is_file():
            raise ServiceError(503, "the API docs page needs Swagger UI's files: run `make docs-ui` (npm ci)")
        headers = {
            "Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
            "script-src 'self' 'unsafe-inline'; img-src 'self' data:"
        }
        return HTMLResponse(_PAGE, headers=headers)

    async def asset(self, request: Request) -> Response:
        """``GET /docs/assets/{name}``: one of :data:`ASSETS`."""
        name = request.path_params["name"]
        if name not in ASSETS or not (self.assets_dir / name).is_file():
            raise ServiceError(404, f"no docs asset '{name}'")
        return FileResponse(
            self.assets_dir / name,
            media_type=ASSETS[name],
            headers={"Cache-Control": "public, max-age=86400"},
        )

    def routes(self) -> list[BaseRoute]:
        """The routes relative to the Workflows API's prefix."""
        return [
            Route("/openapi.json", self.openapi, methods=["GET"]),
            Route("/docs", self.page, methods=["GET"]),
            Route("/docs/assets/{name}", self.asset, methods=["GET"]),
        ]
