"""Typed errors of the Filestack client.

Messages name the HTTP status, the URL (with signatures masked) and the server's
own message. Signatures and the app secret never appear in a message or ``repr``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .models import WorkflowStatus
    from .workflow_errors import FieldProblem

MASK = "***"
_SIGNATURE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # query string: ?signature=abc or &signature=abc
    re.compile(r"(?i)(signature=)[^&#\s\"']+"),
    # processing task (security=p:...,s:abc / signature:abc) and prose ("signature: abc")
    re.compile(r"(?i)((?<![A-Za-z0-9_])(?:s|signature)\s*:\s*\"?)[^,/\s\"'&;)]+"),
    # JSON bodies: "signature": "abc"
    re.compile(r"(?i)(\"signature\"\s*:\s*\")[^\"]*"),
)
_MAX_MESSAGE = 500


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with signatures and the given secret values masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    for pattern in _SIGNATURE_PATTERNS:
        text = pattern.sub(lambda match: match.group(1) + MASK, text)
    return text


class FilestackError(Exception):
    """Base class of every error the client raises."""


class FilestackResponseError(FilestackError):
    """A response that does not have the shape the API documents."""


class FilestackTimeout(FilestackError):
    """The request did not complete within the configured timeout."""

    def __init__(self, url: str, timeout_s: float | None = None) -> None:
        self.url = redact(url)
        self.timeout_s = timeout_s
        limit = f" after {timeout_s:g}s" if timeout_s is not None else ""
        super().__init__(f"request to {self.url} timed out{limit}")


class FilestackConnectionError(FilestackError):
    """The server could not be reached (DNS, refused connection, reset...)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact(url)
        self.reason = redact(reason)
        super().__init__(f"could not connect to {self.url}: {self.reason}")


class FilestackHTTPError(FilestackError):
    """The server answered with an error status.

    ``body`` is the decoded JSON body when there is one, else the text. ``message``
    is the body's ``error`` field when present, else a short excerpt of the body.
    """

    def __init__(
        self,
        status: int,
        body: Any,
        message: str,
        url: str,
        *,
        method: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.message = redact(message)
        self.url = redact(url)
        self.method = method
        self.headers = dict(headers or {})
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.method} {self.url}" if self.method else self.url
        text = f"HTTP {self.status} from {where}"
        return f"{text}: {self.message}" if self.message else text

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, url={self.url!r}, message={self.message!r})"


class FilestackBadRequest(FilestackHTTPError):
    """400, 413, 415 or 422: the request itself is wrong."""


class WorkflowRejected(FilestackBadRequest):
    """A workflow definition the Workflows API refused (400).

    ``problems`` place the server's message in the body that was sent (see
    :func:`~dashboard.filestack.workflow_errors.locate_problems`).
    """

    def __init__(self, error: FilestackHTTPError, problems: list[FieldProblem]) -> None:
        super().__init__(
            error.status, error.body, error.message, error.url, method=error.method, headers=error.headers
        )
        self.problems = problems


class FilestackAuthError(FilestackHTTPError):
    """401 or 403: missing, invalid, expired or insufficient policy."""


class FilestackNotFound(FilestackHTTPError):
    """404: no such file, job or route."""


class FilestackConflict(FilestackHTTPError):
    """409: the resource is not in a state that allows this (e.g. cancelling a job that ended)."""


class FilestackRateLimited(FilestackHTTPError):
    """429: too many requests. ``reset_at`` is Filestack's ``Filestack-Reset`` (unix s)."""

    @property
    def reset_at(self) -> int | None:
        """When the rate limit resets, if the server said."""
        value = self.headers.get("filestack-reset")
        return int(value) if value and value.isdigit() else None


class FilestackServerError(FilestackHTTPError):
    """5xx: the server failed."""


class WorkflowFailed(FilestackError):
    """A workflow job ended as ``Failed`` or one of its tasks reported an error."""

    def __init__(self, job: WorkflowStatus) -> None:
        self.job = job
        errors = job.errors()
        details = "; ".join(f"{task}: {_short(error)}" for task, error in errors.items())
        text = f"workflow job {job.jobid} failed (status {job.status})"
        super().__init__(f"{text}: {details}" if details else text)


class WorkflowTimeout(FilestackError):
    """A workflow job did not finish in time. ``last`` is the last status seen."""

    def __init__(self, jobid: str, waited_s: float, last: WorkflowStatus | None = None) -> None:
        self.jobid = jobid
        self.waited_s = waited_s
        self.last = last
        status = f" (last status {last.status})" if last is not None else ""
        super().__init__(f"workflow job {jobid} did not finish within {waited_s:.1f}s{status}")


_STATUS_CLASSES: dict[int, type[FilestackHTTPError]] = {
    400: FilestackBadRequest,
    401: FilestackAuthError,
    403: FilestackAuthError,
    404: FilestackNotFound,
    409: FilestackConflict,
    413: FilestackBadRequest,
    415: FilestackBadRequest,
    422: FilestackBadRequest,
    429: FilestackRateLimited,
}


def error_class(status: int) -> type[FilestackHTTPError]:
    """The most specific error class for an HTTP status."""
    if status >= 500:
        return FilestackServerError
    return _STATUS_CLASSES.get(status, FilestackHTTPError)


def decode_body(content: bytes) -> Any:
    """The JSON value of a body, else its text (``None`` when empty)."""
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text


def message_from_body(body: Any, fallback: str) -> str:
    """The server's message: JSON ``error`` (or ``message``), else a text excerpt."""
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
            if value:
                return _short(value)
    if isinstance(body, str) and body.strip():
        return _short(body.strip())
    return fallback


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"
