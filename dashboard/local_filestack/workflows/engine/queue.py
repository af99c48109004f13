"""The queue of jobs waiting for a runner.

:class:`JobQueue` is the interface the engine uses; :class:`InProcessQueue`
keeps job ids in memory. The queue only holds ids: the job itself is in the
job store, so a queue that loses its content (a restart) loses nothing the
store cannot rebuild with ``claim_unfinished``.
"""

from __future__ import annotations

import asyncio
from typing import Protocol, runtime_checkable

from dashboard.local_filestack.workflows.model.errors import QueueFull


@runtime_checkable
class JobQueue(Protocol):
    """A FIFO of job ids with a bound on waiting jobs."""

    async def put(self, job_id: str) -> None:
        """Add a new job; raise :class:`QueueFull` when the bound is reached."""
        ...

    async def requeue(self, job_id: str) -> None:
        """Add a job that was accepted before (recovery), whatever the bound."""
        ...

    async def get(self) -> str:
        """Wait for and take the oldest waiting job id."""
        ...

    def size(self) -> int:
        """How many jobs are waiting."""
        ...

    async def stop_running(self, job_id: str) -> None:
        """Stop the run of a job (cancelled) in whichever other process runs it, if one does."""
        ...

    @property
    def consumed_here(self) -> bool:
        """Whether this process's runners take the jobs (``False`` when queue workers elsewhere do)."""
        ...


class InProcessQueue:
    """:class:`JobQueue` on an :class:`asyncio.Queue`; use it from one event loop."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"queue capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def put(self, job_id: str) -> None:
        if self._queue.qsize() >= self.capacity:
            raise QueueFull(self.capacity)
        self._queue.put_nowait(job_id)

    async def requeue(self, job_id: str) -> None:
        self._queue.put_nowait(job_id)

    async def get(self) -> str:
        return await self._queue.get()

    def size(self) -> int:
        return self._queue.qsize()

    async def stop_running(self, job_id: str) -> None:
        """Nothing to do: the jobs of this queue run in this process, whose engine stops them."""

    @property
    def consumed_here(self) -> bool:
        return True
