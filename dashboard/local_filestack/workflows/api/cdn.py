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

import json
from collections import OrderedDict
from typing import Any

from dashboard.local_filestack.storage.files import StoredFile
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.model.jobs import now_ns
from dashboard.local_filestack.workflows.model.triggers import Arrival, FileFacts
from dashboard.local_filestack.workflows.model.views import cdn_run, cdn_status
from dashboard.local_filestack.workflows.service import WorkflowService

#: Finished jobs whose encoded status answer is kept (a page reads a finished job on every reload).
FINISHED_ANSWERS = 4096


def encode(body: dict[str, Any]) -> bytes:
    """A JSON answer's bytes, as Starlette's ``JSONResponse`` writes them."""
    return json.dumps(body, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")


class FinishedAnswers:
    """The encoded ``workflow_status`` answers of finished jobs, until each job's TTL runs out.

    A finished job never changes again (cancel and replay leave it as it is; a replay is a
    new job), so its answer is computed once; it is dropped when the job expires, as the
    store's purge would drop the job. The newest :data:`FINISHED_ANSWERS` are kept.
    """

    def __init__(self, size: int = FINISHED_ANSWERS) -> None:
        self.size = size
        self._answers: OrderedDict[str, tuple[bytes, int]] = OrderedDict()

    def get(self, job_id: str) -> bytes | None:
        kept = self._answers.get(job_id)
        if kept is None:
            return None
        answer, expires_ns = kept
        if now_ns() > expires_ns:
            del self._answers[job_id]
            return None
        return answer

    def put(self, job_id: str, answer: bytes, expires_ns: int) -> None:
        self._answers[job_id] = (answer, expires_ns)
        self._answers.move_to_end(job_id)
        while len(self._answers) > self.size:
            self._answers.popitem(last=False)


class CdnWorkflows:
    """The CDN's workflow gateway on a :class:`WorkflowService`."""

    def __init__(self, workflows: WorkflowService) -> None:
        self.workflows = workflows
        self.finished = FinishedAnswers()

    async def run_workflow(self, workflow_id: str, source: str, *, base_url: str) -> dict[str, Any]:
        """Start a job of the workflow on the source (a handle or a URL)."""
        job = await self.workflows.start_job(workflow_id, source, base_url=base_url)
        return cdn_run(job)

    async def workflow_status(self, job_id: str) -> bytes:
        """The job as ``workflow_status`` reports it, encoded (a finished job's answer is kept)."""
        kept = self.finished.get(job_id)
        if kept is not None:
            return kept
        job = await self.workflows.get_job(job_id)
        if job is None:
            raise JobNotFound(job_id)
        ttl_s = self.workflows.settings.ttl_s
        answer = encode(cdn_status(job, ttl_s))
        if job.status.finished and job.finished_at is not None:
            self.finished.put(job_id, answer, job.finished_at + int(ttl_s * 1_000_000_000))
        return answer

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
