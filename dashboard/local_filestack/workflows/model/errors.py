"""The workflow layer's domain errors; ``http.errors`` gives each its HTTP answer."""

from __future__ import annotations

QUEUE_FULL_MESSAGE = "job queue is full, retry later"
QUEUE_UNAVAILABLE_MESSAGE = "job queue is unavailable (its broker cannot be reached), retry later"


class WorkflowNotFound(LookupError):
    """No workflow with this id (404 ``workflow not found``)."""

    def __init__(self, workflow_id: str) -> None:
        super().__init__("workflow not found")
        self.workflow_id = workflow_id


class JobNotFound(LookupError):
    """No job with this id, or its time to live ran out (404 ``job not found``)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"job {job_id!r} not found")
        self.job_id = job_id


class InvalidSource(ValueError):
    """A job cannot be started on this source at all: not a handle, URL or alias (400)."""


class QueueUnavailable(Exception):
    """The queue's broker cannot be reached (a restart): the job was not queued (503)."""

    def __init__(self, reason: str) -> None:
        super().__init__(QUEUE_UNAVAILABLE_MESSAGE)
        self.reason = reason


class QueueFull(Exception):
    """The queue already holds as many waiting jobs as it may (429)."""

    def __init__(self, capacity: int) -> None:
        super().__init__(QUEUE_FULL_MESSAGE)
        self.capacity = capacity


class UnknownCursor(ValueError):
    """``after=`` names no job that can still be listed (400)."""

    def __init__(self, job_id: str) -> None:
        super().__init__(f"after: no job {job_id!r} to list after (unknown, or its time to live ran out)")
        self.job_id = job_id


class JobAlreadyFinished(Exception):
    """The job ended before it could be cancelled (409); ``status`` is how it ended."""

    def __init__(self, job_id: str, status: str) -> None:
        super().__init__(
            f"job {job_id!r} already ended ({status}); only a pending or running job can be cancelled"
        )
        self.job_id = job_id
        self.status = status


class NotQuarantined(LookupError):
    """The file is not held in quarantine (404)."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"file {handle} is not in quarantine")
        self.handle = handle
