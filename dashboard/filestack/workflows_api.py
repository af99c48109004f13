"""The Workflows REST API (``workflows-beta``): workflows, action contracts, jobs and webhooks.

Every call carries HTTP basic auth with the API key and the app secret, so it runs on the
server only. Reads are retried like every idempotent call; ``POST`` is sent once. Reach
it as :attr:`FilestackClient.workflows_api <dashboard.filestack.client.FilestackClient.workflows_api>`::

    async with FilestackClient(config) as fs:
        created = await fs.workflows_api.create_workflow({"name": "thumb", "tasks": [...]})
        job = await fs.workflows_api.start_job(created.id, handle=stored.handle)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from .config import ClientConfig
from .errors import FilestackBadRequest, FilestackError, FilestackResponseError, WorkflowRejected
from .transport import HttpSender, read_json, read_model
from .urls import check_id
from .workflow_errors import locate_problems
from .workflow_models import (
    ActionContract,
    Job,
    JobPage,
    JobQuery,
    QuarantinedFile,
    WebhookLog,
    Workflow,
    WorkflowSpec,
)

ModelT = TypeVar("ModelT", bound=BaseModel)
WorkflowBody = WorkflowSpec | Mapping[str, Any]


def rfc3339_ms(moment: datetime) -> str:
    """``2018-01-02T14:56:05.000Z``: the API's own time format (naive times are UTC)."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class WorkflowsApi:
    """Typed calls of the Workflows REST API over a client's HTTP sender."""

    def __init__(self, sender: HttpSender, config: ClientConfig) -> None:
        self._sender = sender
        self._config = config

    # -- plumbing ------------------------------------------------------------

    def _auth(self) -> dict[str, str]:
        secret = self._config.app_secret
        if secret is None:
            raise FilestackError("the Workflows REST API needs the app secret (HTTP basic auth)")
        token = base64.b64encode(f"{self._config.api_key}:{secret.get_secret_value()}".encode())
        return {"Authorization": f"Basic {token.decode('ascii')}"}

    def _url(self, path: str) -> str:
        return f"{self._config.workflows_url}{path}"

    async def _send(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> Any:
        response = await self._sender.request(
            method,
            self._url(path),
            headers=self._auth(),
            json_body=json_body,
            params=params,
            idempotent=idempotent,
        )
        return response

    async def _list(
        self, path: str, model: type[ModelT], params: Mapping[str, str] | None = None
    ) -> list[ModelT]:
        response = await self._send("GET", path, idempotent=True, params=params)
        payload = read_json(response)
        items = payload.get("workflows", payload.get("data")) if isinstance(payload, dict) else payload
        if not isinstance(items, list):
            raise FilestackResponseError(f"expected a list from {path}")
        try:
            return [model.model_validate(item) for item in items]
        except ValidationError as err:
            first = err.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "item"
            raise FilestackResponseError(f"unexpected item from {path}: {where}: {first['msg']}") from err

    async def _write_workflow(self, method: str, path: str, workflow: WorkflowBody) -> Workflow:
        body = workflow.body() if isinstance(workflow, WorkflowSpec) else dict(workflow)
        try:
            response = await self._send(method, path, idempotent=method == "PUT", json_body=body)
        except FilestackBadRequest as err:
            raise WorkflowRejected(err, locate_problems(err.message, body)) from err
        return read_model(response, Workflow)

    # -- actions and workflows -------------------------------------------------

    async def action_contracts(self) -> list[ActionContract]:
        """``GET /tasks``: every action with its params schema and output."""
        return await self._list("/tasks", ActionContract)

    async def list_workflows(self) -> list[Workflow]:
        """``GET /workflows``: every workflow of the app."""
        return await self._list("/workflows", Workflow)

    async def get_workflow(self, workflow_id: str) -> Workflow:
        """``GET /workflows/{id}``."""
        response = await self._send(
            "GET", f"/workflows/{check_id('workflow_id', workflow_id)}", idempotent=True
        )
        return read_model(response, Workflow)

    async def create_workflow(self, workflow: WorkflowBody) -> Workflow:
        """``POST /workflows`` with ``workflow`` as the body (a mapping is sent exactly as given).

        Raises :class:`~dashboard.filestack.errors.WorkflowRejected` when the API refuses it.
        """
        return await self._write_workflow("POST", "/workflows", workflow)

    async def update_workflow(self, workflow_id: str, workflow: WorkflowBody) -> Workflow:
        """``PUT /workflows/{id}``: replace the definition (the id and creation time stay)."""
        return await self._write_workflow(
            "PUT", f"/workflows/{check_id('workflow_id', workflow_id)}", workflow
        )

    async def delete_workflow(self, workflow_id: str) -> None:
        """``DELETE /workflows/{id}``; jobs already started keep running."""
        await self._send("DELETE", f"/workflows/{check_id('workflow_id', workflow_id)}", idempotent=True)

    # -- jobs ----------------------------------------------------------------

    async def start_job(self, workflow_id: str, *, handle: str | None = None, url: str | None = None) -> Job:
        """``POST /jobs`` on a stored file (``handle``) or an external ``url``; sent once."""
        if (handle is None) == (url is None):
            raise ValueError("give exactly one of handle and url")
        source = {"handle": check_id("handle", handle)} if handle is not None else {"url": url}
        response = await self._send(
            "POST",
            "/jobs",
            idempotent=False,
            json_body={"workflow": check_id("workflow_id", workflow_id), **source},
        )
        return read_model(response, Job)

    async def get_job(self, job_uuid: str) -> Job:
        """``GET /jobs/{uuid}``."""
        response = await self._send("GET", f"/jobs/{check_id('job_uuid', job_uuid)}", idempotent=True)
        return read_model(response, Job)

    async def job_webhooks(self, job_uuid: str) -> WebhookLog:
        """``GET /jobs/{uuid}/webhooks``: every delivery attempt of the job's webhook."""
        response = await self._send(
            "GET", f"/jobs/{check_id('job_uuid', job_uuid)}/webhooks", idempotent=True
        )
        return read_model(response, WebhookLog)

    async def list_jobs(self, query: JobQuery = JobQuery()) -> JobPage:
        """``GET /jobs``: one page of jobs matching ``query``, newest first.

        Every filter travels as a query parameter (``workflow``, ``status``,
        ``createdAfter``, ``createdBefore``, ``after``, ``limit``); one job more than the
        page is asked for, to know whether another page follows.
        """
        params = {"limit": str(query.limit + 1)}
        if query.workflow:
            params["workflow"] = check_id("workflow", query.workflow)
        if query.status is not None:
            params["status"] = query.status.value
        if query.created_after is not None:
            params["createdAfter"] = rfc3339_ms(query.created_after)
        if query.created_before is not None:
            params["createdBefore"] = rfc3339_ms(query.created_before)
        if query.after:
            params["after"] = check_id("after", query.after)
        jobs = await self._list("/jobs", Job, params)
        page = jobs[: query.limit]
        more = len(jobs) > query.limit and bool(page)
        return JobPage(jobs=page, next_cursor=page[-1].uuid if more else None)

    async def cancel_job(self, job_uuid: str, *, by: str | None = None) -> Job:
        """``POST /jobs/{uuid}/cancel``: stop a pending or running job; it ends ``failed`` with
        "cancelled by <by>". Safe to repeat (a cancelled job answers the same); a job that
        ended otherwise raises :class:`~dashboard.filestack.errors.FilestackConflict`."""
        response = await self._send(
            "POST",
            f"/jobs/{check_id('job_uuid', job_uuid)}/cancel",
            idempotent=True,
            json_body={"by": by} if by else {},
        )
        return read_model(response, Job)

    async def replay_job(self, job_uuid: str) -> Job:
        """``POST /jobs/{uuid}/replay``: the job's workflow on its source again, as a new job
        (each call starts one; sent once)."""
        response = await self._send(
            "POST", f"/jobs/{check_id('job_uuid', job_uuid)}/replay", idempotent=False, json_body={}
        )
        return read_model(response, Job)

    # -- quarantine ------------------------------------------------------------

    async def list_quarantine(self) -> list[QuarantinedFile]:
        """``GET /quarantine``: the files held out of public reach, newest first."""
        response = await self._send("GET", "/quarantine", idempotent=True)
        payload = read_json(response)
        files = payload.get("files") if isinstance(payload, dict) else None
        if not isinstance(files, list):
            raise FilestackResponseError("expected {'files': [...]} from /quarantine")
        try:
            return [QuarantinedFile.model_validate(item) for item in files]
        except ValidationError as err:
            raise FilestackResponseError(
                f"unexpected item from /quarantine: {err.errors()[0]['msg']}"
            ) from err

    async def release_file(self, handle: str) -> None:
        """``POST /quarantine/{handle}/release``: the file is public again (404 if it was not held)."""
        await self._send(
            "POST", f"/quarantine/{check_id('handle', handle)}/release", idempotent=True, json_body={}
        )

    async def delete_quarantined(self, handle: str) -> None:
        """``DELETE /quarantine/{handle}``: delete a held file (its bytes, record and hold)."""
        await self._send("DELETE", f"/quarantine/{check_id('handle', handle)}", idempotent=True)
