"""How often one API key may upload, store and start workflows: a moving window per key and call.

The counts live in memory (one service process), or in Redis when ``REDIS_URL`` is set so every
app worker of every machine shares them; the ``limits`` library keeps them either way. A call
past its limit raises :class:`RateLimited`, which ``errors.py`` answers with 429 and
``Retry-After`` (the seconds until the oldest call of the window leaves it). When Redis cannot be
reached the calls are let through and a warning is logged: a broker restart must not stop
uploads.
"""

from __future__ import annotations

import logging
import math
import time
from enum import StrEnum
from typing import cast

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from dashboard.local_filestack.config.limits import RateLimits

logger = logging.getLogger(__name__)


class Action(StrEnum):
    """The calls counted per key."""

    UPLOAD = "upload"  # Upload API: a new (multipart) upload
    STORE = "store"  # File API store, the CDN's store task
    RUN_WORKFLOW = "run_workflow"  # the CDN's run_workflow, POST /workflows-beta/jobs, replay


class RateLimited(Exception):
    """One key made more calls of one kind than the window allows."""

    def __init__(self, action: Action, limit: int, window_s: float, retry_after_s: int) -> None:
        self.action = action
        self.retry_after_s = retry_after_s
        super().__init__(
            f"rate limit reached: at most {limit} {action.value} calls per {window_s:g} s for this API key; "
            f"retry in {retry_after_s} s"
        )


class KeyRateLimiter:
    """Counts each key's calls of each :class:`Action` against :class:`RateLimits`."""

    def __init__(self, rates: RateLimits, redis_url: str | None = None) -> None:
        self.rates = rates
        storage: Storage = (
            # short timeouts: a Redis that does not answer must not hold the request for long
            cast(
                Storage,
                storage_from_string(
                    redis_url, wrap_exceptions=True, socket_timeout=1, socket_connect_timeout=1
                ),
            )
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._items: dict[Action, RateLimitItem] = {
            action: RateLimitItemPerSecond(count, max(1, math.ceil(rates.window_s)))
            for action, count in (
                (Action.UPLOAD, rates.upload),
                (Action.STORE, rates.store),
                (Action.RUN_WORKFLOW, rates.run_workflow),
            )
            if count > 0
        }

    def spend(self, action: Action, key: str) -> None:
        """Count one call of ``action`` by ``key``; :class:`RateLimited` when the window is full."""
        item = self._items.get(action)
        if item is None:  # no limit set for this call
            return
        try:
            if self._limiter.hit(item, "filestack-key", key, action.value):
                return
            reset = self._limiter.get_window_stats(item, "filestack-key", key, action.value).reset_time
        except StorageError as err:
            logger.warning("rate limits not applied: their store cannot be reached (%s)", err)
            return
        raise RateLimited(action, item.amount, self.rates.window_s, max(1, math.ceil(reset - time.time())))
