"""The CDN's workflow tasks, ``run_workflow=id:<WORKFLOW>/<SOURCE>`` and ``workflow_status=job_id:<JOB>``,
and the workflows named when a file is stored (``store.workflows`` at upload, ``store=workflows:[…]``).

The CDN route parses the path, checks the API key and the policy (call ``runWorkflow``)
and hands plain values here (:class:`~dashboard.local_filestack.http.cdn.WorkflowGateway`).
Answers:

* run: ``createdAt, jobid, sources, status, updatedAt, workflow`` (status ``Started``);
* status: ``createdAt, jobid, results, sources, status, ttl, updatedAt,
  workflow`` (+ ``error`` when failed, + ``tasks`` progress).

A missing workflow, job or file, a full queue and a bad source are raised as their
domain errors and answered by ``http.errors`` (404, 429, 400).
"""

from __future__ import annotations

from typing import Any

from dashboard.local_filestack.storage.files import StoredFile
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.model.triggers import Arrival, FileFacts
from dashboard.local_filestack.workflows.model.views import cdn_run
from dashboard.local_filestack.workflows.service import WorkflowService


class CdnWorkflows:
    """The CDN's workflow gateway on a :class:`WorkflowService`."""

    def __init__(self, workflows: WorkflowService) -> None:
        self.workflows = workflows

    async def run_workflow(self, workflow_id: str, source: str, *, base_url: str) -> dict[str, Any]:
        """Start a job of the workflow on the source (a handle or a URL)."""
        job = await self.workflows.start_job(workflow_id, source, base_url=base_url)
        return cdn_run(job)

    async def workflow_status(self, job_id: str) -> dict[str, Any]:
        """The job as ``workflow_status`` reports it."""
        status = await self.workflows.job_status(job_id)
        if status is None:
            raise JobNotFound(job_id)
        return status

    async def check_workflows(self, workflow_ids: list[str]) -> None:
        """Refuse unknown workflow ids before anything is stored."""
        await self.workflows.check_workflows(workflow_ids)

    async def file_arrived(
        self, stored: StoredFile, arrival: Arrival, named: list[str], *, base_url: str
    ) -> list[dict[str, str]]:
        """A stored file: the jobs of the workflows named for it and of those its arrival
        triggers, answered as ``[{"id": workflow, "jobid": job}, ...]``."""
        jobs = await self.workflows.file_arrived(file_facts(stored), arrival, named=named, base_url=base_url)
        return [{"id": job.workflow_id, "jobid": job.id} for job in jobs]


def file_facts(stored: StoredFile) -> FileFacts:
    """What trigger constraints can test of a stored file (``path`` is its storage key)."""
    return FileFacts(
        handle=stored.handle,
        mimetype=stored.mimetype,
        size=stored.size,
        width=stored.width,
        height=stored.height,
        filename=stored.filename,
        path=stored.key,
    )
