"""Waking the app's job followers: a job moved, read its status now instead of at the next poll.

One interface whichever service runs the jobs. A follower opens a :class:`JobWatch` on the
job id *before* it reads the job's status, then waits on it between reads: an event that
arrives while it reads is kept, not lost. What wakes the watches:

* the embedded service's job events (:mod:`dashboard.embedded` hands them to :func:`wake`
  of this process; with Redis the service's bus already reaches every process);
* Filestack's webhooks, received by :mod:`dashboard.webhook_endpoint`, which calls
  :meth:`JobEvents.announce`: with several app workers (``REDIS_URL``) the endpoint's worker
  is not necessarily the follower's, so the announcement goes through a Redis channel.

An event is a hint, never the truth: the follower still reads the job's status, and reads
it now and then without any event (a lost event costs a slow poll, never a stuck page).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from typing import Any, Protocol

from redis.exceptions import RedisError

from dashboard.redis_clients import async_client

log = logging.getLogger(__name__)

#: The Redis channel on which app workers announce job ids to each other.
CHANNEL = "dashboard:job-wakeups"


class JobWatch:
    """One follower's ear on one job: set by events, consumed by :meth:`changed`."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self._moved = asyncio.Event()
        #: How many events woke this watch (a test and the benchmark read it).
        self.events = 0

    def wake(self) -> None:
        self.events += 1
        self._moved.set()

    async def changed(self, timeout_s: float) -> bool:
        """Wait until an event arrives (True) or ``timeout_s`` passes (False: read anyway)."""
        try:
            async with asyncio.timeout(timeout_s):
                await self._moved.wait()
        except TimeoutError:
            return False
        self._moved.clear()
        return True


class JobEvents(Protocol):
    """Where followers wait for their job, and what wakes them."""

    def watch(self, job_id: str) -> contextlib.AbstractContextManager[JobWatch]:
        """A watch on ``job_id`` for the duration of the block."""
        ...

    def wake(self, job_id: str) -> int:
        """Wake this process's watches of ``job_id``; how many there were."""
        ...

    async def announce(self, job_id: str) -> None:
        """Wake the watches of ``job_id`` in every app process."""
        ...


class LocalJobEvents:
    """The watches of this process; announcing is waking (one app process)."""

    def __init__(self) -> None:
        self._watches: dict[str, set[JobWatch]] = {}

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[JobWatch]:
        watch = JobWatch(job_id)
        self._watches.setdefault(job_id, set()).add(watch)
        try:
            yield watch
        finally:
            watches = self._watches.get(job_id, set())
            watches.discard(watch)
            if not watches:
                self._watches.pop(job_id, None)

    def wake(self, job_id: str) -> int:
        watches = list(self._watches.get(job_id, ()))
        for watch in watches:
            watch.wake()
        return len(watches)

    def watched(self) -> int:
        """How many jobs are watched now."""
        return len(self._watches)

    async def announce(self, job_id: str) -> None:
        self.wake(job_id)


class RedisJobEvents(LocalJobEvents):
    """Several app workers: an announcement goes to every worker through a Redis channel."""

    def __init__(self, redis_url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self.redis_url = redis_url
        self.channel = channel
        self._subscriber: asyncio.Task[None] | None = None

    async def announce(self, job_id: str) -> None:
        try:
            await async_client(self.redis_url).publish(self.channel, job_id)
        except (RedisError, OSError) as exc:  # a wake-up is a hint: the follower's slow poll still comes
            log.warning("could not announce job %s to the other app workers: %s", job_id, exc)
            self.wake(job_id)

    def start(self) -> None:
        """Listen to the channel (idempotent; started by the first follower of the process)."""
        if self._subscriber is None or self._subscriber.done():
            self._subscriber = asyncio.create_task(self._receive(), name="job-wakeups-subscriber")

    async def _receive(self) -> None:
        while True:
            try:
                async with async_client(self.redis_url).pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            data: Any = message["data"]
                            self.wake(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except (
                RedisError,
                OSError,
            ) as exc:  # reconnect; followers fall back to their slow poll meanwhile
                log.warning("job wake-up subscription lost (%s); subscribing again", exc)
                await asyncio.sleep(1.0)

    @contextlib.contextmanager
    def watch(self, job_id: str) -> Iterator[JobWatch]:
        self.start()
        with super().watch(job_id) as watch:
            yield watch


_events: dict[str | None, LocalJobEvents] = {}


def job_events(redis_url: str | None = None) -> LocalJobEvents:
    """This process's job events: shared through Redis when ``redis_url`` is set."""
    if redis_url not in _events:
        _events[redis_url] = RedisJobEvents(redis_url) if redis_url else LocalJobEvents()
    return _events[redis_url]
