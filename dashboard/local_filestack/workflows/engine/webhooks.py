"""Posting a job's result to its workflow's webhook, signed, with retries.

When a job ends and its workflow has a ``webhook``, the service POSTs the job's
body -- Filestack's ``fs.workflow`` body, or the beta REST API's job body for jobs
started through ``POST /jobs`` (see :func:`~dashboard.local_filestack.workflows.model.views.webhook_body`)
-- with two headers:

* ``FS-Timestamp`` -- Unix seconds at the time of the attempt;
* ``FS-Signature`` -- hex HMAC-SHA256 of ``"{FS-Timestamp}.{raw body}"``
  (:func:`dashboard.filestack_protocol.security.sign_webhook`).

The signing secret is the workflow's own ``webhook_secret`` when it sets one,
else the app secret. A receiver verifies the raw body bytes, not a re-encoding.

An answer other than 2xx, or no answer, is retried with exponential backoff
(``webhook_base_delay_s * 2**(n-1)``, at most ``webhook_attempts`` attempts).
Every attempt is recorded in the job store, so deliveries a stopped process left
unfinished are taken up again at the next start (:meth:`WebhookSender.resume`).
Redirects are not followed. The
webhook host is resolved and checked like any user-supplied URL: private,
loopback and link-local addresses are refused unless the host is named in
``FETCH_ALLOWED_HOSTS`` (or ``allow_private_fetch`` is set), and the request goes
to the checked address.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from collections.abc import Coroutine, Iterable
from typing import Any

import httpx

from dashboard.filestack_protocol.security import sign_webhook
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.ingest.netguard import BlockedAddress, check_target
from dashboard.local_filestack.workflows.model.jobs import JobRecord, WebhookAttempt, now_ns
from dashboard.local_filestack.workflows.model.views import webhook_body
from dashboard.local_filestack.workflows.stores.store import JobStore

logger = logging.getLogger(__name__)

USER_AGENT = "local-filestack-webhooks"
#: How the record of an attempt that must not be retried (a refused target) begins.
_REFUSED = "refused: "


class WebhookTargetError(Exception):
    """The webhook URL cannot be posted to (bad URL, unresolvable or refused address)."""


def encode_body(job: JobRecord) -> bytes:
    """The exact bytes posted (and signed) for a job."""
    return json.dumps(webhook_body(job), separators=(",", ":")).encode("utf-8")


class WebhookSender:
    """Delivers webhooks in the background; one delivery task per finished job."""

    def __init__(
        self,
        *,
        store: JobStore,
        settings: WorkflowSettings,
        app_secret: str,
        allow_private: bool,
        allowed_hosts: frozenset[str] = frozenset(),
    ) -> None:
        self.store = store
        self.settings = settings
        self.app_secret = app_secret
        self.allow_private = allow_private
        self.allowed_hosts = allowed_hosts
        self._deliveries: set[asyncio.Task[None]] = set()

    def secret_for(self, job: JobRecord) -> str:
        """The secret that signs this job's webhook."""
        return job.workflow.webhook_secret or self.app_secret

    async def job_finished(self, job: JobRecord) -> None:
        """Start delivering the job's webhook, if its workflow has one (returns at once)."""
        if not job.workflow.webhook:
            return
        self._start(self.deliver(job), job)

    def _start(self, delivery_coro: Coroutine[Any, Any, None], job: JobRecord) -> None:
        delivery = asyncio.create_task(delivery_coro, name=f"webhook-{job.id}")
        self._deliveries.add(delivery)
        delivery.add_done_callback(self._deliveries.discard)

    async def resume(self, jobs: Iterable[JobRecord]) -> int:
        """Take up the deliveries of finished ``jobs`` that were neither accepted nor given up.

        A process that stopped mid-delivery (a crash, a restart) leaves them so. Each is
        resumed in the background once a sender still alive elsewhere would have made its
        next attempt; if that attempt shows up meanwhile, it is left to that sender.
        Returns how many deliveries are resumed.
        """
        resumed = 0
        for job in jobs:
            if not job.status.finished or not job.workflow.webhook:
                continue
            attempts = await self.store.webhook_attempts(job.id)
            given_up = len(attempts) >= self.settings.webhook_attempts
            if given_up or any(attempt.delivered for attempt in attempts):
                continue
            if attempts and (attempts[-1].error or "").startswith(_REFUSED):
                continue
            self._start(self._resume_one(job, attempts), job)
            resumed += 1
        if resumed:
            logger.info("resuming %d unfinished webhook deliver%s", resumed, "y" if resumed == 1 else "ies")
        return resumed

    async def _resume_one(self, job: JobRecord, attempts: list[WebhookAttempt]) -> None:
        last_ns = attempts[-1].at if attempts else (job.finished_at or job.updated_at)
        pause = self.settings.webhook_delay(len(attempts)) if attempts else 0.0
        due = last_ns / 1e9 + pause + self.settings.webhook_timeout_s + 1.0
        await asyncio.sleep(max(0.0, due - time.time()))
        if len(await self.store.webhook_attempts(job.id)) != len(attempts):
            return  # another sender is still delivering it
        await self.deliver(job, first_attempt=len(attempts) + 1)

    async def wait_idle(self) -> None:
        """Wait until every delivery in progress has ended (tests, shutdown)."""
        while self._deliveries:
            await asyncio.gather(*list(self._deliveries), return_exceptions=True)

    async def close(self) -> None:
        """Abandon deliveries in progress (their attempts so far stay recorded)."""
        deliveries = list(self._deliveries)
        for delivery in deliveries:
            delivery.cancel()
        await asyncio.gather(*deliveries, return_exceptions=True)

    async def deliver(self, job: JobRecord, *, first_attempt: int = 1) -> None:
        """Post the webhook until it is accepted or the attempts run out (numbered from ``first_attempt``)."""
        url = job.workflow.webhook
        if not url:
            return
        body = encode_body(job)
        secret = self.secret_for(job)
        attempts = self.settings.webhook_attempts
        async with httpx.AsyncClient(
            follow_redirects=False, trust_env=False, timeout=self.settings.webhook_timeout_s
        ) as client:
            for number in range(first_attempt, attempts + 1):
                record, retry = await self._attempt(client, job, url, body, secret, number)
                await self.store.add_webhook_attempt(record)
                if record.delivered:
                    return
                if not retry:
                    logger.warning("webhook of job %s not sent: %s", job.id, record.error)
                    return
                if number < attempts:
                    await asyncio.sleep(self.settings.webhook_delay(number))
        logger.warning("webhook of job %s to %s failed after %d attempts", job.id, url, attempts)

    async def _attempt(
        self, client: httpx.AsyncClient, job: JobRecord, url: str, body: bytes, secret: str, number: int
    ) -> tuple[WebhookAttempt, bool]:
        """Make one attempt; return its record and whether trying again could help."""
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "FS-Timestamp": timestamp,
            "FS-Signature": sign_webhook(secret, timestamp, body),
        }
        started_ns = now_ns()
        started = time.perf_counter()
        status_code: int | None = None
        error: str | None = None
        retry = True
        try:
            request = await self._pinned_request(url, body, headers)
            response = await client.send(request)
            status_code = response.status_code
        except WebhookTargetError as exc:
            error = f"{_REFUSED}{exc}"
            retry = False
        except httpx.TimeoutException:
            error = f"timed out after {self.settings.webhook_timeout_s:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        delivered = status_code is not None and 200 <= status_code < 300
        if status_code is not None and not delivered:
            error = f"answered HTTP {status_code}"
        record = WebhookAttempt(
            job_uuid=job.uuid,
            attempt=number,
            url=url,
            at=started_ns,
            status_code=status_code,
            error=error,
            delivered=delivered,
            duration_ms=(time.perf_counter() - started) * 1000.0,
        )
        return record, retry

    async def _pinned_request(self, url: str, body: bytes, headers: dict[str, str]) -> httpx.Request:
        """A POST aimed at a checked address of the webhook's host (``Host`` and SNI kept)."""
        try:
            target = httpx.URL(url)
        except (httpx.InvalidURL, TypeError, ValueError) as exc:
            raise WebhookTargetError(f"invalid webhook url {url!r}") from exc
        if target.scheme not in ("http", "https") or not target.host:
            raise WebhookTargetError(f"webhook url {url!r} is not an http(s) URL")
        port = target.port or (443 if target.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(target.host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as exc:
            raise WebhookTargetError(f"cannot resolve webhook host {target.host!r}") from exc
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not addresses:
            raise WebhookTargetError(f"webhook host {target.host!r} has no addresses")
        try:
            check_target(
                target.host,
                port,
                addresses,
                allow_private=self.allow_private,
                allowed_hosts=self.allowed_hosts,
            )
        except BlockedAddress as exc:
            raise WebhookTargetError(str(exc)) from exc
        pinned = target.copy_with(host=addresses[0].split("%", 1)[0])
        host_header = target.netloc.decode("ascii").rsplit("@", 1)[-1]
        return httpx.Request(
            "POST",
            pinned,
            content=body,
            headers={**headers, "Host": host_header},
            extensions={"sni_hostname": target.host},
        )
