"""Every error the service answers with, mapped to ``{"error": message}`` in one place."""

from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable, Mapping

from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dashboard.filestack_protocol.grammar import GrammarError
from dashboard.filestack_protocol.security import PolicyError
from dashboard.local_filestack.imaging import ImagingError
from dashboard.local_filestack.ingest.netguard import FetchError
from dashboard.local_filestack.storage.files import FileNotFound, StorageFull

logger = logging.getLogger("dashboard.local_filestack")

Handler = Callable[[Request, Exception], Awaitable[Response]]


class ServiceError(Exception):
    """An error with the HTTP status and message the client should see."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message

    def __str__(self) -> str:
        return self.message


class UploadTooLarge(ServiceError):
    """A request body over the configured upload limit."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"file is larger than the {limit}-byte upload limit")


def error_response(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The one shape of every error body."""
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _status_and_message(exc: Exception) -> tuple[int, str]:
    """The status and message for a typed error (500 for anything unexpected)."""
    if isinstance(exc, ServiceError):
        return exc.status, exc.message
    if isinstance(exc, PolicyError):
        return 403, str(exc)
    if isinstance(exc, FileNotFound):
        return 404, "file not found"
    if isinstance(exc, GrammarError):
        return 400, str(exc)
    if isinstance(exc, ImagingError):
        return int(getattr(exc, "status", 400)), str(exc) or "image processing failed"
    if isinstance(exc, StorageFull):
        return 507, str(exc)
    if isinstance(exc, FetchError):
        return exc.status, exc.message
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        return 400, f"Parameters are invalid: {where}: {first.get('msg', 'invalid value')}"
    if isinstance(exc, MultiPartException):
        return 400, f"invalid multipart body: {exc.message}"
    if isinstance(exc, HTTPException):
        return exc.status_code, str(exc.detail)
    return 500, "internal error"


async def handle_error(request: Request, exc: Exception) -> Response:
    """Turn any exception into a JSON error response; unexpected ones are logged."""
    status, message = _status_and_message(exc)
    if status >= 500 and status != 507 and not isinstance(exc, (ServiceError, FetchError)):
        logger.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    headers = getattr(exc, "headers", None) if isinstance(exc, HTTPException) else None
    if isinstance(exc, HTTPException) and status in (204, 304):
        return Response(status_code=status, headers=headers)
    return error_response(status, message, headers)


def exception_handlers() -> dict[Any, Handler]:
    """Handlers for Starlette's ``exception_handlers`` / ``ExceptionMiddleware``."""
    handled: tuple[type[Exception], ...] = (
        ServiceError,
        PolicyError,
        FileNotFound,
        GrammarError,
        ImagingError,
        StorageFull,
        FetchError,
        ValidationError,
        MultiPartException,
        HTTPException,
        Exception,
    )
    return {exc_type: handle_error for exc_type in handled}
