"""The Workflows REST API (workflows-beta.filestackapi.com), under ``/workflows-beta``.

Every request needs HTTP basic auth: user = API key, password = app secret.

* ``GET    /tasks``                    the action contracts
* ``GET    /workflows``                every workflow
* ``POST   /workflows``                create one (201; 400 names what is wrong)
* ``GET    /workflows/{id}``           one workflow
* ``PUT    /workflows/{id}``           replace its definition
* ``DELETE /workflows/{id}``           remove it (started jobs keep running)
* ``POST   /jobs``                     ``{"workflow", "handle"}`` or ``{"workflow", "url"}`` (201)
* ``GET    /jobs``                     jobs, newest first: ``workflow=``, ``status=``, ``createdAfter=``
                                      (inclusive) and ``createdBefore=`` (exclusive, RFC 3339),
                                      ``after=<uuid>`` (the last job of the previous page), ``limit=``
* ``GET    /jobs/{uuid}``              one job, in the shape of the webhook body (+ ``replays``)
* ``GET    /jobs/{uuid}/webhooks``     the job's webhook delivery attempts
* ``POST   /jobs/{uuid}/cancel``       stop a pending or running job (``{"by": "…"}`` optional); it
                                      ends ``failed`` with "cancelled by …"; again: the same answer;
                                      409 for a job that ended otherwise
* ``POST   /jobs/{uuid}/replay``       run the job's workflow on its source again, as a new job (201)
* ``GET    /quarantine``               the files held in quarantine, newest first
* ``POST   /quarantine/{handle}/release``  make a held file public again
* ``DELETE /quarantine/{handle}``      delete a held file (bytes, record and hold)
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.local_filestack.http.auth import Gate
from dashboard.local_filestack.http.errors import ServiceError, first_problem
from dashboard.local_filestack.http.rate_limits import Action
from dashboard.local_filestack.http.urls import public_hosts
from dashboard.local_filestack.storage.files import StoredFile
from dashboard.local_filestack.storage.quarantine import Hold
from dashboard.local_filestack.workflows.model.contracts import contracts_json
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.model.jobs import JobApi, JobStatus, rfc3339_ms
from dashboard.local_filestack.workflows.model.views import rest_job, workflow_resource
from dashboard.local_filestack.workflows.service import WorkflowService

PREFIX = "/workflows-beta"
REALM = "Filestack Workflows"
MAX_LIST_LIMIT = 200
DEFAULT_LIST_LIMIT = 20
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MIN_NS, _MAX_NS = -(2**63), 2**63 - 1
#: How an RFC 3339 date-time starts (pydantic alone would also take a number of seconds).
_RFC3339_START = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


class JobRequest(BaseModel):
    """``POST /jobs``: a workflow id and exactly one source (a handle or a URL)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={  # what _one_source checks, in the schema
            "oneOf": [
                {"properties": {"handle": {"type": "string"}}, "required": ["handle"]},
                {"properties": {"url": {"type": "string"}}, "required": ["url"]},
            ]
        },
    )

    workflow: str = Field(min_length=1)
    handle: str | None = Field(default=None, min_length=1)
    url: str | None = Field(default=None, min_length=1, json_schema_extra={"format": "uri"})

    @model_validator(mode="after")
    def _one_source(self) -> JobRequest:
        if (self.handle is None) == (self.url is None):
            raise ValueError("give exactly one of 'handle' and 'url'")
        return self

    @property
    def source(self) -> str:
        """The handle or the URL."""
        return self.handle if self.handle is not None else self.url or ""


class ListQuery(BaseModel):
    """``GET /jobs`` query: filters, a cursor and how many jobs (unknown parameters are refused)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    workflow: str | None = None
    status: JobStatus | None = None
    created_after: AwareDatetime | None = Field(default=None, alias="createdAfter")
    created_before: AwareDatetime | None = Field(default=None, alias="createdBefore")
    after: UUID | None = None
    limit: int = Field(default=DEFAULT_LIST_LIMIT, ge=1, le=MAX_LIST_LIMIT)

    @field_validator("created_after", "created_before", mode="before")
    @classmethod
    def _rfc3339(cls, value: Any) -> Any:
        """A date and time with its offset, as documented; not a number of seconds."""
        if isinstance(value, str) and not _RFC3339_START.match(value):
            raise ValueError(f"must be an RFC 3339 date-time such as 2026-01-31T12:00:00Z, got {value!r}")
        return value


class CancelRequest(BaseModel):
    """``POST /jobs/{uuid}/cancel``: who asks (shown in the job's reason), optional."""

    model_config = ConfigDict(extra="forbid")

    by: str | None = Field(default=None, min_length=1, max_length=200)


def _ns(moment: datetime | None) -> int | None:
    """Nanoseconds since the epoch, held within what the job store keeps (64-bit: years 1677-2262);
    a bound beyond that range selects what the range's end would."""
    if moment is None:
        return None
    ns = (moment - _EPOCH) // timedelta(microseconds=1) * 1000
    return max(_MIN_NS, min(_MAX_NS, ns))


def _unauthorized() -> JSONResponse:
    return JSONResponse(
        {"error": "authentication required: HTTP basic auth with the API key and app secret"},
        status_code=401,
        headers={"WWW-Authenticate": f'Basic realm="{REALM}"'},
    )


def _refuse_constant(name: str) -> Any:
    """``NaN`` and ``Infinity`` are not JSON; Python's parser accepts them unless told otherwise."""
    raise ValueError(f"{name} is not a JSON value")


Endpoint = Callable[[Request], Awaitable[Response]]


class WorkflowsRestApi:
    """Endpoints of the REST API; every one goes through :meth:`_guarded` (basic auth)."""

    def __init__(self, workflows: WorkflowService, gate: Gate, public_url: str | None) -> None:
        self.workflows = workflows
        self.gate = gate
        self.public_url = public_url

    # -- plumbing ----------------------------------------------------------

    @staticmethod
    async def _json_body(request: Request) -> Any:
        body = await request.body()
        if not body:
            raise ServiceError(400, "a JSON body is required")
        try:
            return json.loads(body, parse_constant=_refuse_constant)
        except ValueError as exc:
            raise ServiceError(400, f"invalid JSON body: {exc}") from exc
        except RecursionError as exc:
            raise ServiceError(400, "invalid JSON body: nested too deeply") from exc

    def _cdn_base(self, request: Request) -> str:
        return public_hosts(request, PREFIX, self.public_url).cdn

    # -- endpoints ---------------------------------------------------------

    async def tasks(self, request: Request) -> Response:
        """``GET /tasks``."""
        return JSONResponse(contracts_json())

    async def workflows_collection(self, request: Request) -> Response:
        """``GET /workflows`` and ``POST /workflows``."""
        if request.method == "GET":
            records = await self.workflows.list_workflows()
            return JSONResponse([workflow_resource(record) for record in records])
        record = await self.workflows.create_workflow(await self._json_body(request))
        return JSONResponse(workflow_resource(record), status_code=201)

    async def workflow_item(self, request: Request) -> Response:
        """``GET``, ``PUT`` and ``DELETE /workflows/{id}``."""
        workflow_id = request.path_params["workflow_id"]
        if request.method == "GET":
            record = await self.workflows.get_workflow(workflow_id)
        elif request.method == "PUT":
            record = await self.workflows.replace_workflow(workflow_id, await self._json_body(request))
        else:
            await self.workflows.delete_workflow(workflow_id)
            return JSONResponse({"id": workflow_id, "deleted": True})
        return JSONResponse(workflow_resource(record))

    async def jobs_collection(self, request: Request) -> Response:
        """``GET /jobs`` (recent jobs) and ``POST /jobs`` (start one)."""
        if request.method == "GET":
            try:
                query = ListQuery.model_validate(dict(request.query_params))
            except ValidationError as exc:
                raise ServiceError(400, first_problem(exc)) from exc
            jobs = await self.workflows.list_jobs(
                workflow_id=query.workflow,
                status=query.status,
                created_from=_ns(query.created_after),
                created_before=_ns(query.created_before),
                after=str(query.after) if query.after is not None else None,
                limit=query.limit,
            )
            return JSONResponse([rest_job(job) for job in jobs])
        raw = await self._json_body(request)
        try:
            order = JobRequest.model_validate(raw)
        except ValidationError as exc:
            raise ServiceError(400, first_problem(exc)) from exc
        self.gate.spend(Action.RUN_WORKFLOW)
        job = await self.workflows.start_job(
            order.workflow, order.source, base_url=self._cdn_base(request), api=JobApi.REST
        )
        return JSONResponse(rest_job(job), status_code=201)

    async def job_item(self, request: Request) -> Response:
        """``GET /jobs/{uuid}``."""
        job_id = request.path_params["job_id"]
        job = await self.workflows.get_job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        return JSONResponse(rest_job(job, await self.workflows.replays_of(job.id)))

    async def job_cancel(self, request: Request) -> Response:
        """``POST /jobs/{uuid}/cancel``."""
        body = await request.body()
        try:
            order = CancelRequest.model_validate_json(body) if body.strip() else CancelRequest()
        except ValidationError as exc:
            raise ServiceError(400, first_problem(exc)) from exc
        job = await self.workflows.cancel_job(request.path_params["job_id"], order.by)
        return JSONResponse(rest_job(job, await self.workflows.replays_of(job.id)))

    async def job_replay(self, request: Request) -> Response:
        """``POST /jobs/{uuid}/replay``."""
        self.gate.spend(Action.RUN_WORKFLOW)
        job = await self.workflows.replay_job(request.path_params["job_id"])
        return JSONResponse(rest_job(job, []), status_code=201)

    async def job_webhooks(self, request: Request) -> Response:
        """``GET /jobs/{uuid}/webhooks``."""
        job_id = request.path_params["job_id"]
        job = await self.workflows.get_job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        attempts = await self.workflows.webhook_attempts(job_id)
        return JSONResponse(
            {"jobid": job.id, "webhook": job.workflow.webhook, "attempts": [a.as_json() for a in attempts]}
        )

    async def quarantine_list(self, request: Request) -> Response:
        """``GET /quarantine``."""
        held = await self.workflows.quarantined()
        return JSONResponse({"files": [quarantined_file(hold, record) for hold, record in held]})

    async def quarantine_release(self, request: Request) -> Response:
        """``POST /quarantine/{handle}/release``."""
        hold = await self.workflows.release_file(request.path_params["handle"])
        return JSONResponse({"handle": hold.handle, "released": True})

    async def quarantine_delete(self, request: Request) -> Response:
        """``DELETE /quarantine/{handle}``."""
        hold = await self.workflows.delete_quarantined(request.path_params["handle"])
        return JSONResponse({"handle": hold.handle, "deleted": True})

    def _guarded(self, endpoint: Endpoint) -> Endpoint:
        async def guarded(request: Request) -> Response:
            if not self.gate.is_account(request):
                return _unauthorized()
            return await endpoint(request)

        guarded.__name__ = endpoint.__name__
        guarded.__doc__ = endpoint.__doc__
        return guarded

    def routes(self) -> list[BaseRoute]:
        """The routes relative to :data:`PREFIX`."""
        guard = self._guarded
        return [
            Route("/tasks", guard(self.tasks), methods=["GET"]),
            Route("/workflows", guard(self.workflows_collection), methods=["GET", "POST"]),
            Route("/workflows/{workflow_id}", guard(self.workflow_item), methods=["GET", "PUT", "DELETE"]),
            Route("/jobs", guard(self.jobs_collection), methods=["GET", "POST"]),
            Route("/jobs/{job_id}", guard(self.job_item), methods=["GET"]),
            Route("/jobs/{job_id}/webhooks", guard(self.job_webhooks), methods=["GET"]),
            Route("/jobs/{job_id}/cancel", guard(self.job_cancel), methods=["POST"]),
            Route("/jobs/{job_id}/replay", guard(self.job_replay), methods=["POST"]),
            Route("/quarantine", guard(self.quarantine_list), methods=["GET"]),
            Route("/quarantine/{handle}/release", guard(self.quarantine_release), methods=["POST"]),
            Route("/quarantine/{handle}", guard(self.quarantine_delete), methods=["DELETE"]),
        ]


def quarantined_file(hold: Hold, record: StoredFile | None) -> dict[str, Any]:
    """A held file as ``GET /quarantine`` lists it (``filename``, ``size`` and ``mimetype`` are
    null when the file's record is gone)."""
    return {
        "handle": hold.handle,
        "reason": hold.reason,
        "job": hold.job,
        "quarantinedAt": rfc3339_ms(hold.at),
        "filename": record.filename if record is not None else None,
        "size": record.size if record is not None else None,
        "mimetype": record.mimetype if record is not None else None,
    }
