"""How often one person may run a failed photo's workflow again: ``RETRY_RATE_LIMIT`` per window.

Uploads are counted from the person's photo jobs (``UPLOAD_RATE_LIMIT``); a retry starts a workflow
on a kept original without a new upload, so it is counted here, per account, over the same window
(``UPLOAD_RATE_WINDOW_S``), in a :class:`~dashboard.moving_window.MovingWindow`: in memory, or in
Redis when ``REDIS_URL`` is set so every app worker shares the count.
"""

from __future__ import annotations

import functools
import math

from dashboard.moving_window import MovingWindow
from dashboard.settings import Settings


class RetryLimitReached(ValueError):
    """The person retried as many photos as the window allows; the message says when to try again."""


@functools.cache
def _window(limit: int, window_s: float, redis_url: str | None) -> MovingWindow:
    return MovingWindow("photo-retry", limit, window_s, redis_url)


def spend_retry(owner_id: int, settings: Settings) -> None:
    """Count one retry by ``owner_id``; :class:`RetryLimitReached` when the window's retries are used up."""
    if settings.retry_rate_limit <= 0:
        return
    window = settings.upload_rate_window_s
    wait_s = _window(settings.retry_rate_limit, window, settings.redis_url).spend(str(owner_id))
    if wait_s is None:
        return
    raise RetryLimitReached(
        f"You have retried {settings.retry_rate_limit} photos in the last {window / 60:.0f} minutes, "
        f"the most allowed. Try again in {max(1, math.ceil(wait_s / 60))} min."
    )
