"""One asyncio Redis client per URL and process, for the app's own keys (leases, open windows)."""

from __future__ import annotations

import os
from typing import Any

_clients: dict[str, Any] = {}


def async_client(url: str) -> Any:
    """The process's asyncio Redis client for ``url`` (created on first use; a forked worker gets its own)."""
    import redis.asyncio as aioredis

    key = f"{os.getpid()}:{url}"
    if key not in _clients:
        _clients[key] = aioredis.Redis.from_url(url, socket_timeout=5)
    return _clients[key]
