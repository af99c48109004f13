"""Every error the service answers with, mapped to ``{"error": message}`` in one place.

Domain errors stay typed where they are raised (storage, imaging, ingestion, workflows);
this table alone decides their HTTP status and message, and route code only raises.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dashboard.filestack_protocol.grammar import GrammarError
from dashboard.filestack_protocol.security import PolicyError
from dashboard.local_filestack.http.rate_limits import RateLimited
from dashboard.local_filestack.imaging import ImagingError
from dashboard.local_filestack.ingest.errors import BadUpload, UploadNotFound, UploadTooLarge
from dashboard.local_filestack.ingest.netguard import FetchError
from dashboard.local_filestack.storage.aliases import AliasError
from dashboard.local_filestack.storage.files import FileNotFound, FileOverQuota, StorageFull
from dashboard.local_filestack.storage.pg import PostgresUnavailable
from dashboard.local_filestack.storage.quarantine import FileQuarantined
from dashboard.local_filestack.workflows.model.errors import (
    QUEUE_FULL_MESSAGE,
    QUEUE_UNAVAILABLE_MESSAGE,
    InvalidSource,
    JobAlreadyFinished,
    JobNotFound,
    NotQuarantined,
    QueueFull,
    QueueUnavailable,
    UnknownCursor,
    WorkflowNotFound,
)
from dashboard.local_filestack.workflows.model.workflow import WorkflowValidationError

logger = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]


class ServiceError(Exception):
    """An error with the HTTP status and message the client should see (for route-level checks)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one shape of every error body."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def first_problem(exc: ValidationError) -> str:
    """``where: what`` of a validation error's first problem."""
    problem = exc.errors()[0]
    where = ".".join(str(part) for part in problem.get("loc", ())) or "body"
    return f"{where}: {str(problem.get('msg', 'invalid value')).removeprefix('Value error, ')}"


def status_and_message(exc: Exception) -> tuple[int, str]:
    """The status and message for a typed error (500 for anything unexpected)."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.message
    if isinstance(exc, PolicyError):
        return 403, str(exc)
    if isinstance(exc, FileNotFound):
        return 404, "file not found"
    if isinstance(exc, FileQuarantined):
        return 403, str(exc)
    if isinstance(exc, GrammarError):
        return 400, str(exc)
    if isinstance(exc, ImagingError):
        return exc.status, str(exc) or "image processing failed"
    if isinstance(exc, FileOverQuota):  # one file larger than the whole quota: it can never fit
        return 413, str(exc)
    if isinstance(exc, StorageFull):  # a full disk or a reached quota (QuotaExceeded)
        return 507, str(exc)
    if isinstance(exc, FetchError):
        return exc.status, exc.message
    if isinstance(exc, AliasError):
        return exc.status, exc.message
    if isinstance(exc, UploadTooLarge):
        return 413, str(exc)
    if isinstance(exc, BadUpload):
        return 400, str(exc)
    if isinstance(exc, UploadNotFound):
        return 404, str(exc)
    if isinstance(exc, WorkflowNotFound):
        return 404, "workflow not found"
    if isinstance(exc, JobNotFound):
        return 404, "job not found"
    if isinstance(exc, NotQuarantined):
        return 404, str(exc)
    if isinstance(exc, RateLimited):
        return 429, str(exc)
    if isinstance(exc, QueueUnavailable):
        return 503, QUEUE_UNAVAILABLE_MESSAGE
    if isinstance(exc, PostgresUnavailable):
        return 503, "the database is unavailable, retry later"
    if isinstance(exc, QueueFull):
        return 429, QUEUE_FULL_MESSAGE
    if isinstance(exc, JobAlreadyFinished):
        return 409, str(exc)
    if isinstance(exc, (InvalidSource, WorkflowValidationError, UnknownCursor)):
        return 400, str(exc)
    if isinstance(exc, ValidationError):
        return 400, f"Parameters are invalid: {first_problem(exc)}"
    if isinstance(exc, MultiPartException):
        return 400, f"invalid multipart body: {exc.message}"
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 500, "internal error"


async def handle_error(request: Request, exc: Exception) -> Response:
    """Turn any exception into a JSON error response; unexpected ones are logged."""
    status, message = status_and_message(exc)
    if status == 500:
        logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = exc.headers if isinstance(exc, HTTPException) else None
    if isinstance(exc, RateLimited):
        headers = {"Retry-After": str(exc.retry_after_s)}
    elif isinstance(exc, (QueueUnavailable, PostgresUnavailable)):
        headers = {"Retry-After": "1"}
    if isinstance(exc, HTTPException) and status in (204, 304):
        return Response(status_code=status, headers=headers)
    return error_response(status, message, headers)


def exception_handlers(*, catch_all: bool = True) -> dict[Any, Handler]:
    """Handlers for Starlette's ``ExceptionMiddleware``: every exception, or (``catch_all=False``,
    for an app's own ``exception_handlers``, where ``Exception`` means the server-error page)
    HTTP exceptions only."""
    handlers: dict[Any, Handler] = {HTTPException: handle_error}
    if catch_all:
        handlers[Exception] = handle_error
    return handlers
