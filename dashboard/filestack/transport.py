"""Sending HTTP requests: SDK headers, timeouts, typed errors and retries.

Only requests marked idempotent are retried (timeouts, connection errors, 429
and 5xx), with exponential backoff and jitter. Everything else gets one attempt,
so a store or a workflow run is never sent twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ValidationError
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from .errors import (
    FilestackConnectionError,
    FilestackError,
    FilestackRateLimited,
    FilestackResponseError,
    FilestackServerError,
    FilestackTimeout,
    decode_body,
    error_class,
    message_from_body,
    redact,
)
from .headers import sdk_headers

logger = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
ModelT = TypeVar("ModelT", bound=BaseModel)


def is_retryable(error: BaseException) -> bool:
    """Transient failures worth another attempt."""
    return isinstance(
        error, (FilestackTimeout, FilestackConnectionError, FilestackServerError, FilestackRateLimited)
    )


class HttpSender:
    """Sends requests through one :class:`httpx.AsyncClient` and maps failures to typed errors."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        timeout_s: float,
        retries: int,
        retry_wait_s: float,
        retry_max_wait_s: float,
        secrets: tuple[str, ...] = (),
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._http = http
        self._timeout_s = timeout_s
        self._retries = retries
        self._secrets = secrets
        self._sleep = sleep
        self._backoff = wait_exponential_jitter(
            initial=retry_wait_s, max=retry_max_wait_s, jitter=retry_wait_s
        )
        self._max_wait_s = retry_max_wait_s

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool,
        params: Mapping[str, str] | None = None,
        json_body: Any = None,
        content: bytes | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        filestack_headers: bool = True,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """Send a request; return the response of any status below 400.

        Raises a :class:`~dashboard.filestack.errors.FilestackHTTPError` subclass
        for 4xx/5xx, :class:`FilestackTimeout` or :class:`FilestackConnectionError`.
        """

        async def once() -> httpx.Response:
            merged: dict[str, str] = sdk_headers() if filestack_headers else {}
            merged.update(headers or {})
            return await self._send_once(
                method,
                url,
                params=params,
                json_body=json_body,
                content=content,
                data=data,
                headers=merged,
                follow_redirects=follow_redirects,
            )

        if not idempotent or self._retries == 0:
            return await once()
        response: httpx.Response | None = None
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retries + 1),
            wait=self._wait,
            retry=retry_if_exception(is_retryable),
            sleep=self._sleep,
            before_sleep=self._log_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                response = await once()
        if response is None:  # unreachable: reraise=True ends the loop with a response or an error
            raise FilestackError(f"no response from {self._redact(url)}")
        return response

    async def _send_once(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None,
        json_body: Any,
        content: bytes | None,
        data: Mapping[str, str] | None,
        headers: dict[str, str],
        follow_redirects: bool,
    ) -> httpx.Response:
        """One attempt, with transport failures and error statuses turned into typed errors."""
        try:
            response = await self._http.request(
                method,
                url,
                params=params,
                json=json_body,
                content=content,
                data=data,
                headers=headers,
                timeout=self._timeout_s,
                follow_redirects=follow_redirects,
            )
        except httpx.TimeoutException as err:
            raise FilestackTimeout(self._redact(_full_url(url, params)), self._timeout_s) from err
        except httpx.TransportError as err:
            reason = str(err) or type(err).__name__
            raise FilestackConnectionError(
                self._redact(_full_url(url, params)), self._redact(reason)
            ) from err
        logger.debug("%s %s -> %s", method, self._redact(str(response.request.url)), response.status_code)
        if response.status_code >= 400:
            raise self._http_error(method, response)
        return response

    def _http_error(self, method: str, response: httpx.Response) -> FilestackError:
        body = decode_body(response.content)
        fallback = response.reason_phrase or "error"
        sent = _signatures_in(response.request)
        message = self._redact(message_from_body(body, fallback), sent)
        cls = error_class(response.status_code)
        return cls(
            response.status_code,
            body,
            message,
            self._redact(str(response.request.url), sent),
            method=method,
            headers={k.lower(): v for k, v in response.headers.items()},
        )

    def _redact(self, text: str, extra: tuple[str, ...] = ()) -> str:
        return redact(text, self._secrets + extra)

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff; for 429 wait until ``Filestack-Reset`` (capped)."""
        delay = self._backoff(state)
        error = state.outcome.exception() if state.outcome else None
        if isinstance(error, FilestackRateLimited) and error.reset_at is not None:
            until_reset = error.reset_at - time.time()
            delay = min(max(delay, until_reset), self._max_wait_s)
        return max(delay, 0.0)

    @staticmethod
    def _log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.info("retrying after attempt %d failed: %s", state.attempt_number, error)


def _full_url(url: str, params: Mapping[str, str] | None) -> str:
    """``url`` with ``params`` in its query, as it was sent."""
    return str(httpx.URL(url, params=params)) if params else url


_PATH_SIGNATURE = re.compile(r"(?:^|[/,=])(?:s|signature):([0-9A-Fa-f]{16,})")


def _signatures_in(request: httpx.Request) -> tuple[str, ...]:
    """Every policy signature a request carried (query, security task or JSON body)."""
    found = list(request.url.params.get_list("signature"))
    found.extend(_PATH_SIGNATURE.findall(request.url.path))
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            body = json.loads(request.content)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("signature"), str):
            found.append(body["signature"])
    return tuple(value for value in found if value)


def read_json(response: httpx.Response) -> Any:
    """The response's JSON, or :class:`FilestackResponseError`."""
    try:
        return response.json()
    except ValueError as err:
        kind = response.headers.get("content-type", "no content type")
        raise FilestackResponseError(
            f"expected JSON from {redact(str(response.request.url))}, got {kind}"
        ) from err


def read_model(response: httpx.Response, model: type[ModelT]) -> ModelT:
    """The response's JSON as ``model``, or :class:`FilestackResponseError`."""
    url = redact(str(response.request.url))
    try:
        payload = response.json()
    except ValueError as err:
        kind = response.headers.get("content-type", "no content type")
        raise FilestackResponseError(f"expected JSON from {url}, got {kind}") from err
    try:
        return model.model_validate(payload)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise FilestackResponseError(
            f"unexpected response from {url}: {where}: {first['msg']} ({err.error_count()} problem(s))"
        ) from err
