"""The CDN's workflow URLs: ``run_workflow=id:<WORKFLOW>/<SOURCE>`` and ``workflow_status=job_id:<JOB>``.

The CDN route parses the path, checks the API key and the policy (call
``runWorkflow``) and then delegates here. Answers:

* run: ``createdAt, jobid, sources, status, updatedAt, workflow`` (status ``Started``);
* status: ``createdAt, jobid, results, sources, status, ttl, updatedAt,
  workflow`` (+ ``error`` when failed, + ``tasks`` progress);
* 404 ``{"error": "workflow not found"}`` / ``"job not found"`` / ``"file not found"``;
* 429 ``{"error": "job queue is full, retry later"}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dashboard.filestack_protocol.grammar import ParsedPath
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.http.cdn import PREFIX as CDN_PREFIX
from dashboard.local_filestack.http.cdn import resolve_source
from dashboard.local_filestack.workflows.engine.catalog import WorkflowNotFound
from dashboard.local_filestack.workflows.engine.queue import QUEUE_FULL_MESSAGE, QueueFull
from dashboard.local_filestack.workflows.engine.sources import InvalidSource
from dashboard.local_filestack.workflows.model.views import cdn_run, cdn_status

if TYPE_CHECKING:
    from dashboard.local_filestack.workflows.service import WorkflowService

NO_STORE = {"Cache-Control": "no-store"}


def _task_param(parsed: ParsedPath, task: str, param: str) -> str:
    found = parsed.task(task)
    value = found.params.get(param) if found is not None else None
    if not isinstance(value, str) or not value:
        raise ServiceError(400, f"{task} needs {param}:<value>")
    return value


class CdnWorkflowGateway:
    """Answers the CDN's workflow tasks with the workflow service."""

    def __init__(self, workflows: WorkflowService) -> None:
        self.workflows = workflows

    async def run_workflow(self, request: Request, parsed: ParsedPath, policy_ok: bool) -> Response:
        """Start a job of ``run_workflow=id:...`` on the path's source.

        The CDN route has already checked the API key and the policy (``policy_ok``
        tells whether one was given); only the workflow and the source are judged here.
        """
        workflow_id = _task_param(parsed, "run_workflow", "id")
        query = request.scope.get("query_string", b"").decode("latin-1")
        source = resolve_source(parsed, query)
        try:
            job = await self.workflows.start_job(
                workflow_id,
                source.handle or source.url or source.text,
                base_url=self.workflows.base_url(request, CDN_PREFIX),
            )
        except WorkflowNotFound as exc:
            raise ServiceError(404, "workflow not found") from exc
        except QueueFull as exc:
            raise ServiceError(429, QUEUE_FULL_MESSAGE) from exc
        except InvalidSource as exc:
            raise ServiceError(400, str(exc)) from exc
        return JSONResponse(cdn_run(job), headers=NO_STORE)

    async def workflow_status(self, request: Request, parsed: ParsedPath) -> Response:
        """Report the job of ``workflow_status=job_id:...``."""
        job_id = _task_param(parsed, "workflow_status", "job_id")
        job = await self.workflows.get_job(job_id)
        if job is None:
            raise ServiceError(404, "job not found")
        return JSONResponse(cdn_status(job, self.workflows.settings.ttl_s), headers=NO_STORE)
