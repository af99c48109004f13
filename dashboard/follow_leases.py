"""Who follows which photo job, across app workers (Redis leases; nothing without Redis).

With several app workers, the background task that follows a job lives on the worker
that handled the upload. If that worker dies, the job itself goes on (the job store is
the truth), and another worker must take the following over and tell the page. So a
follower holds a short lease on the job in Redis, renewed while it follows; the page's
client token is remembered next to it. A worker that finds an open job with no live
lease takes it (:mod:`dashboard.takeover`). In single-process mode (no ``REDIS_URL``)
every call here is a no-op: a dead process takes its pages with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from typing import Any

from dashboard.redis_clients import async_client

LEASE_TTL_S = 6.0
"""How long a follower's lease lives without renewal; a takeover waits at most this long."""
CLIENT_TTL_S = 86_400
_PREFIX = "dashboard:photo-follow"


def _redis(url: str) -> Any:
    """The process's asyncio Redis client."""
    return async_client(url)


def new_owner() -> str:
    """An id for one follower (host, process, random part)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


async def remember_client(redis_url: str | None, photo_job_id: int, client_token: str) -> None:
    """Note the page (client token) that shows job ``photo_job_id`` (the photo job row)."""
    if redis_url:
        await _redis(redis_url).set(f"{_PREFIX}:client:{photo_job_id}", client_token, ex=CLIENT_TTL_S)


async def client_of(redis_url: str | None, photo_job_id: int) -> str | None:
    """The client token of the page that shows the job, if known."""
    if not redis_url:
        return None
    value = await _redis(redis_url).get(f"{_PREFIX}:client:{photo_job_id}")
    return value.decode() if isinstance(value, bytes) else value


async def try_claim(redis_url: str | None, photo_job_id: int, owner: str) -> bool:
    """Take the job's lease if nobody holds it (always ``True`` without Redis)."""
    if not redis_url:
        return True
    return bool(
        await _redis(redis_url).set(f"{_PREFIX}:lease:{photo_job_id}", owner, nx=True, ex=int(LEASE_TTL_S))
    )


@contextlib.asynccontextmanager
async def holding(
    redis_url: str | None, photo_job_id: int, owner: str, *, take: bool = True
) -> AsyncIterator[None]:
    """Hold (``take``: set it whoever had it) and renew the job's lease while the block runs."""
    if not redis_url:
        yield
        return
    client = _redis(redis_url)
    key = f"{_PREFIX}:lease:{photo_job_id}"
    if take:
        await client.set(key, owner, ex=int(LEASE_TTL_S))

    async def renew() -> None:
        while True:
            await asyncio.sleep(LEASE_TTL_S / 3)
            await client.set(key, owner, ex=int(LEASE_TTL_S))

    renewer = asyncio.create_task(renew(), name=f"photo-follow-lease-{photo_job_id}")
    try:
        yield
    finally:
        renewer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await renewer
        if await client.get(key) in (owner, owner.encode()):
            await client.delete(key)
