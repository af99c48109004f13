"""How often one API key may upload, store and start workflows: a moving window per key and call.

The counts live in memory (one service process), or in Redis when ``REDIS_URL`` is set so every
app worker of every machine shares them (:class:`~dashboard.moving_window.MovingWindow`). A call
past its limit raises :class:`RateLimited`, which ``errors.py`` answers with 429 and
``Retry-After`` (the seconds until the oldest call of the window leaves it). When Redis cannot be
reached the calls are let through and a warning is logged: a broker restart must not stop
uploads.
"""

from __future__ import annotations

from enum import StrEnum

from dashboard.local_filestack.config.limits import RateLimits
from dashboard.moving_window import MovingWindow


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
        self._windows: dict[Action, MovingWindow] = {
            action: MovingWindow(f"filestack-key-{action.value}", count, rates.window_s, redis_url)
            for action, count in (
                (Action.UPLOAD, rates.upload),
                (Action.STORE, rates.store),
                (Action.RUN_WORKFLOW, rates.run_workflow),
            )
            if count > 0
        }

    def spend(self, action: Action, key: str) -> None:
        """Count one call of ``action`` by ``key``; :class:`RateLimited` when the window is full."""
        window = self._windows.get(action)
        if window is None:  # no limit set for this call
            return
        wait_s = window.spend(key)
        if wait_s is not None:
            raise RateLimited(action, window.limit, self.rates.window_s, wait_s)
