"""How often one person may run a failed photo's workflow again: ``RETRY_RATE_LIMIT`` per window.

Uploads are counted from the person's photo jobs (``UPLOAD_RATE_LIMIT``); a retry starts a workflow
on a kept original without a new upload, so it is counted here, per account, over the same window
(``UPLOAD_RATE_WINDOW_S``), with the ``limits`` library's moving window: in memory, or in Redis
when ``REDIS_URL`` is set so every app worker shares the count. A Redis that cannot be reached lets
the retry through (and logs it): the limit must not become a way for the page to fail.
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

from dashboard.settings import Settings

log = logging.getLogger(__name__)


class RetryLimitReached(ValueError):
    """The person retried as many photos as the window allows; the message says when to try again."""


@functools.cache
def _limiter(redis_url: str | None) -> MovingWindowRateLimiter:
    storage: Storage = (
        cast(
            Storage,
            storage_from_string(redis_url, wrap_exceptions=True, socket_timeout=1, socket_connect_timeout=1),
        )
        if redis_url
        else MemoryStorage()
    )
    return MovingWindowRateLimiter(storage)


def spend_retry(owner_id: int, settings: Settings) -> None:
    """Count one retry by ``owner_id``; :class:`RetryLimitReached` when the window's retries are used up."""
    if settings.retry_rate_limit <= 0:
        return
    window = settings.upload_rate_window_s
    item = RateLimitItemPerSecond(settings.retry_rate_limit, max(1, math.ceil(window)))
    limiter = _limiter(settings.redis_url)
    try:
        if limiter.hit(item, "photo-retry", str(owner_id)):
            return
        reset = limiter.get_window_stats(item, "photo-retry", str(owner_id)).reset_time
    except StorageError as err:
        log.warning("retry limit not applied to account %s: its store cannot be reached (%s)", owner_id, err)
        return
    minutes = max(1, math.ceil((reset - time.time()) / 60))
    raise RetryLimitReached(
        f"You have retried {settings.retry_rate_limit} photos in the last {window / 60:.0f} minutes, "
        f"the most allowed. Try again in {minutes} min."
    )
