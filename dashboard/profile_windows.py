"""Which browser windows show whose profile, so that a saved change can reach all of them at once.

A window is a Reflex client token. It is noted under the profile's owner when it loads
the owner's own page (``/profile``) or their public page (``/u/<name>``). One app
process keeps the notes in memory; several app workers (``REDIS_URL``) keep them in a
Redis sorted set per owner, scored by when the window was last noted, so any worker can
find every window whichever worker holds its websocket. Notes older than
:data:`WINDOW_TTL_S` are dropped when read. The notes are written by the server only,
after it has resolved who the page shows; a browser cannot add itself to someone's list.
"""

from __future__ import annotations

import time
from typing import Protocol

from dashboard.redis_clients import async_client

#: A window not noted again for this long is forgotten (a page reload notes it again).
WINDOW_TTL_S = 24 * 3600.0
_PREFIX = "dashboard:profile-windows"


class WindowNotes(Protocol):
    """Where the windows of each profile are noted."""

    async def note(self, owner_id: int, client_token: str) -> None:
        """Note that the window ``client_token`` shows the profile of ``owner_id``."""

    async def forget(self, owner_id: int, client_token: str) -> None:
        """The window no longer shows that profile (or is gone)."""

    async def windows(self, owner_id: int) -> list[str]:
        """The windows noted for the profile of ``owner_id``, newest first."""


class MemoryNotes:
    """The notes of one app process."""

    def __init__(self, clock=time.time) -> None:
        self._clock = clock
        self._seen: dict[int, dict[str, float]] = {}

    async def note(self, owner_id: int, client_token: str) -> None:
        if not client_token:
            return
        self._seen.setdefault(owner_id, {})[client_token] = self._clock()

    async def forget(self, owner_id: int, client_token: str) -> None:
        self._seen.get(owner_id, {}).pop(client_token, None)

    async def windows(self, owner_id: int) -> list[str]:
        seen = self._seen.get(owner_id, {})
        oldest = self._clock() - WINDOW_TTL_S
        for token in [token for token, at in seen.items() if at < oldest]:
            del seen[token]
        return sorted(seen, key=seen.__getitem__, reverse=True)


class RedisNotes:
    """The notes shared by every app worker, in Redis."""

    def __init__(self, url: str, clock=time.time) -> None:
        self._url = url
        self._clock = clock

    def _key(self, owner_id: int) -> str:
        return f"{_PREFIX}:{owner_id}"

    async def note(self, owner_id: int, client_token: str) -> None:
        if not client_token:
            return
        redis = async_client(self._url)
        key = self._key(owner_id)
        await redis.zadd(key, {client_token: self._clock()})
        await redis.expire(key, int(WINDOW_TTL_S))

    async def forget(self, owner_id: int, client_token: str) -> None:
        await async_client(self._url).zrem(self._key(owner_id), client_token)

    async def windows(self, owner_id: int) -> list[str]:
        redis = async_client(self._url)
        key = self._key(owner_id)
        await redis.zremrangebyscore(key, "-inf", self._clock() - WINDOW_TTL_S)
        members = await redis.zrevrange(key, 0, -1)
        return [m.decode() if isinstance(m, bytes) else str(m) for m in members]


_memory = MemoryNotes()


def notes(redis_url: str | None) -> WindowNotes:
    """Redis when the app runs with several workers, else this process's memory."""
    return RedisNotes(redis_url) if redis_url else _memory
