"""The app's webhook endpoint: Filestack says a workflow job ended, the page following it wakes.

``POST /_filestack/webhook`` on the Reflex backend (set it as the workflow's webhook URL at
Filestack). A request counts only when ``FS-Signature`` is the HMAC-SHA256 of
``"{FS-Timestamp}.{raw body}"`` with ``FILESTACK_WEBHOOK_SECRET`` and the timestamp is within
the window (:func:`dashboard.filestack.webhooks.verify_request`); a request seen before (the same
signature, within the window) is refused as a replay. An accepted webhook only wakes the
job's followers (:mod:`dashboard.job_events`): they read the job's status themselves, so a
forged or replayed body could at most cost a status read.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from dashboard.filestack.webhooks import SIGNATURE_HEADER, WebhookError, verify_request
from dashboard.job_events import JobEvents
from dashboard.redis_clients import async_client

WEBHOOK_PATH = "/_filestack/webhook"
#: How far ``FS-Timestamp`` may be from now, in seconds; a signature is remembered this long (×2).
TOLERANCE_S = 300.0
#: The largest webhook body read (a workflow's results are small JSON).
MAX_BODY_BYTES = 1024 * 1024


class ReplayGuard(Protocol):
    """Remembers the requests already accepted, for as long as their timestamp is acceptable."""

    async def first_time(self, key: str, ttl_s: float) -> bool:
        """True the first time ``key`` is seen within ``ttl_s``; False for a replay."""
        ...


class MemoryReplayGuard:
    """One app process: the keys in a dict, dropped once expired."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._seen: dict[str, float] = {}
        self._clock = clock

    async def first_time(self, key: str, ttl_s: float) -> bool:
        now = self._clock()
        self._seen = {seen: until for seen, until in self._seen.items() if until > now}
        if key in self._seen:
            return False
        self._seen[key] = now + ttl_s
        return True


class RedisReplayGuard:
    """Several app workers: ``SET NX EX`` in Redis, so a replay to another worker is refused too."""

    def __init__(self, redis_url: str, prefix: str = "dashboard:webhook-seen:") -> None:
        self.redis_url = redis_url
        self.prefix = prefix

    async def first_time(self, key: str, ttl_s: float) -> bool:
        added = await async_client(self.redis_url).set(
            self.prefix + key, b"1", nx=True, ex=max(1, int(ttl_s))
        )
        return bool(added)


def job_id_of(payload: dict[str, Any]) -> str | None:
    """The job a webhook is about: ``text.jobid`` (``fs.workflow``) or ``uuid`` (the REST API's body)."""
    text = payload.get("text")
    if isinstance(text, dict) and isinstance(text.get("jobid"), str):
        return text["jobid"]
    if isinstance(payload.get("uuid"), str):
        return payload["uuid"]
    return None


class WebhookEndpoint:
    """Checks a webhook request and wakes the followers of its job."""

    def __init__(
        self,
        secret: str | None,
        events: JobEvents,
        replays: ReplayGuard,
        *,
        tolerance_s: float = TOLERANCE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.secret = secret
        self.events = events
        self.replays = replays
        self.tolerance_s = tolerance_s
        self.clock = clock

    async def __call__(self, request: Request) -> JSONResponse:
        if request.method != "POST":
            return JSONResponse({"error": "webhooks are POSTed"}, status_code=405, headers={"Allow": "POST"})
        if not self.secret:
            return JSONResponse(
                {"error": "webhooks are not set up (FILESTACK_WEBHOOK_SECRET)"}, status_code=404
            )
        body = await _read_capped(request)
        if body is None:
            return JSONResponse({"error": f"webhook body is over {MAX_BODY_BYTES} bytes"}, status_code=413)
        try:
            payload = verify_request(request.headers, body, self.secret, self.tolerance_s, now=self.clock())
        except WebhookError as err:
            return JSONResponse({"error": str(err)}, status_code=401)
        signature = request.headers.get(SIGNATURE_HEADER, "").strip().lower()
        key = hashlib.sha256(signature.encode()).hexdigest()
        if not await self.replays.first_time(key, 2 * self.tolerance_s):
            return JSONResponse({"error": "webhook already received (replay)"}, status_code=409)
        job_id = job_id_of(payload)
        if job_id is None:
            return JSONResponse({"error": "webhook names no job"}, status_code=400)
        await self.events.announce(job_id)
        return JSONResponse({"received": job_id})


async def _read_capped(request: Request) -> bytes | None:
    """The raw body, or ``None`` once it grows past :data:`MAX_BODY_BYTES`."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def webhook_route(endpoint: WebhookEndpoint, path: str = WEBHOOK_PATH) -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` for ``rx.App``: ``path`` to the endpoint, everything else to Reflex."""

    def wrap(app: ASGIApp) -> ASGIApp:
        async def route(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http" and scope.get("path") == path:
                response = await endpoint(Request(scope, receive))
                await response(scope, receive, send)
                return
            await app(scope, receive, send)

        return route

    return wrap


def build_endpoint(secret: str | None, redis_url: str | None, events: JobEvents) -> WebhookEndpoint:
    """The endpoint for a deployment: replays remembered in Redis when app workers share one."""
    replays: ReplayGuard = RedisReplayGuard(redis_url) if redis_url else MemoryReplayGuard()
    return WebhookEndpoint(secret, events, replays)
