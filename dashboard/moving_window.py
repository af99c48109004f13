"""Counts of events per key over a moving window: in memory, or in Redis so every process shares them.

The one place such counts are kept, for the app (photo retries per person) and for the service
(calls per API key); the ``limits`` library does the counting. A Redis that cannot be reached lets
the event through and logs it: a limit must never become the reason a page or an upload fails.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from typing import cast

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


@functools.cache
def _redis(redis_url: str) -> Storage:
    """One connection pool per Redis and process; short timeouts, so a silent Redis holds nobody for long."""
    return cast(
        Storage,
        storage_from_string(redis_url, wrap_exceptions=True, socket_timeout=1, socket_connect_timeout=1),
    )


class MovingWindow:
    """At most ``limit`` events per key in any ``window_s`` seconds, counted under ``namespace``.

    Without ``redis_url`` the counts are this object's own: keep one for as long as they matter.
    """

    def __init__(self, namespace: str, limit: int, window_s: float, redis_url: str | None = None) -> None:
        self.namespace = namespace
        self.limit = limit
        self._item = RateLimitItemPerSecond(limit, max(1, math.ceil(window_s)))
        self._limiter = MovingWindowRateLimiter(_redis(redis_url) if redis_url else MemoryStorage())

    def spend(self, *key: str) -> int | None:
        """Count one event for ``key``: ``None`` when it fits, else the whole seconds until one would."""
        try:
            if self._limiter.hit(self._item, self.namespace, *key):
                return None
            reset = self._limiter.get_window_stats(self._item, self.namespace, *key).reset_time
        except StorageError as err:
            log.warning("%s not counted for %s: the store cannot be reached (%s)", self.namespace, key, err)
            return None
        return max(1, math.ceil(reset - time.time()))
