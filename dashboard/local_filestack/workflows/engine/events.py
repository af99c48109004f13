"""Job events: the engine says when a job moved (a task ended, the job ended), listeners hear it.

Whoever follows a job (the app's page, a test) listens here instead of asking the job
store again and again; reading the job stays the truth, an event only says "read it now".
Two buses behind one protocol:

* :class:`LocalJobEvents` -- the engine runs in this process: listeners are called at once.
* :class:`RedisJobEvents` -- jobs run in other processes (Celery queue workers, other app
  workers): every event is published on one Redis channel, and each process's subscriber
  hands the events it receives to its own listeners.

Listeners are plain functions called on the event loop; they must not block (set an
``asyncio.Event``, put on a queue). Events are hints and may be lost (a Redis hiccup, a
process restarting), so a follower still reads the job now and then.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

#: The Redis channel every process publishes its job events on.
CHANNEL = "local-filestack:job-events"


class JobEvent(BaseModel):
    """One job moved: a task of it ended (``ended`` false) or the job itself ended."""

    model_config = ConfigDict(frozen=True)

    job_id: str
    ended: bool = False


JobListener = Callable[[JobEvent], None]


class JobEventBus(Protocol):
    """Where the engine publishes job events and followers listen for them."""

    async def publish(self, event: JobEvent) -> None:
        """Tell every listener (of every process, for a shared bus) that a job moved."""
        ...

    def listen(self, listener: JobListener) -> Callable[[], None]:
        """Call ``listener`` with every event from now on; returns the function that stops it."""
        ...

    async def start(self) -> None:
        """Begin receiving events (a shared bus subscribes here)."""
        ...

    async def stop(self) -> None:
        """Stop receiving events."""
        ...


class LocalJobEvents:
    """The bus of one process: publishing calls the listeners at once."""

    def __init__(self) -> None:
        self._listeners: list[JobListener] = []

    def listen(self, listener: JobListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def stop() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return stop

    def deliver(self, event: JobEvent) -> None:
        """Hand ``event`` to this process's listeners; one failing listener does not stop the others."""
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a listener's bug must not stop the engine or the other listeners
                logger.exception("a job event listener failed on %s", event)

    async def publish(self, event: JobEvent) -> None:
        self.deliver(event)

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class RedisJobEvents(LocalJobEvents):
    """A bus shared by every process on one Redis: publish there, deliver what the subscription hears."""

    def __init__(self, redis_url: str, channel: str = CHANNEL) -> None:
        super().__init__()
        self.redis_url = redis_url
        self.channel = channel
        self._client: Any = None
        self._subscriber: asyncio.Task[None] | None = None
        self._subscribed = asyncio.Event()

    def _redis(self) -> Any:
        if self._client is None:
            import redis.asyncio as aioredis

            self._client = aioredis.Redis.from_url(self.redis_url, socket_timeout=5)
        return self._client

    async def publish(self, event: JobEvent) -> None:
        try:
            await self._redis().publish(self.channel, event.model_dump_json())
        except (RedisError, OSError) as exc:  # an event is a hint: followers still read the job now and then
            logger.warning("could not publish job event %s: %s", event, exc)

    async def start(self) -> None:
        """Subscribe (and wait until Redis confirmed it, so no later event is missed)."""
        if self._subscriber is None:
            self._subscribed.clear()
            self._subscriber = asyncio.create_task(self._receive(), name="job-events-subscriber")
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(5):
                    await self._subscribed.wait()

    async def stop(self) -> None:
        subscriber, self._subscriber = self._subscriber, None
        if subscriber is not None:
            subscriber.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await subscriber
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _receive(self) -> None:
        """Hand every event on the channel to the listeners; resubscribe after a lost connection."""
        while True:
            try:
                async with self._redis().pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    self._subscribed.set()
                    async for message in pubsub.listen():
                        if message.get("type") != "message":
                            continue
                        try:
                            self.deliver(JobEvent.model_validate_json(message["data"]))
                        except ValidationError:
                            logger.warning("ignored a malformed job event on %s", self.channel)
            except asyncio.CancelledError:
                raise
            except (
                RedisError,
                OSError,
            ) as exc:  # the connection dropped: try again; followers fall back to reading
                logger.warning("job events subscription lost (%s); subscribing again", exc)
                await asyncio.sleep(1.0)


def open_job_events(redis_url: str | None) -> JobEventBus:
    """The bus a deployment needs: shared through Redis when there is one, else this process's own."""
    return RedisJobEvents(redis_url) if redis_url else LocalJobEvents()
