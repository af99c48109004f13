"""Leases on running jobs, so a job whose queue worker vanished runs again elsewhere soon.

A queue worker takes a lease on a job before running it (:meth:`JobLeases.hold`) and renews it
on a heartbeat while the job runs; a delivery of a job someone else holds a live lease on is
dropped (the holder is running it), unless that holder was a process of this host that is gone
(a prefork process killed mid-job, whose task the broker hands back at once). When a worker vanishes without a goodbye (its machine lost,
its process group killed) its lease runs out, and any sweeper (:func:`requeue_expired`, run by
every queue worker) clears it -- one conditional statement, so exactly one sweeper wins -- and
puts the job on the queue again. The next run finds the tasks already done and the outputs
already reserved, so the job still ends once with one output per task.

The broker's own redelivery (visibility timeout) stays as a last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from typing import Protocol
from uuid import uuid4

from dashboard.local_filestack.workflows.engine.queue import JobQueue
from dashboard.local_filestack.workflows.model.jobs import now_ns
from dashboard.local_filestack.workflows.model.leases import LeaseTerms

logger = logging.getLogger(__name__)

Clock = Callable[[], int]
#: The owner of a lease left expired on purpose by a sweeper that could not queue the job.
SWEEPER = "sweeper"


class LeaseStore(Protocol):
    """The job store's lease statements (:class:`~dashboard.local_filestack.workflows.stores.sql.SqlJobStore`)."""

    async def take_lease(self, job_id: str, owner: str, until: int, now: int) -> bool: ...

    async def renew_lease(self, job_id: str, owner: str, until: int) -> bool: ...

    async def lease_owner(self, job_id: str) -> str | None: ...

    async def take_lease_from(self, job_id: str, holder: str, owner: str, until: int) -> bool: ...

    async def release_lease(self, job_id: str, owner: str) -> None: ...

    async def reclaim_expired_leases(self, now: int) -> list[str]: ...


def worker_identity() -> str:
    """This process, as lease owners name it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def died_on_this_host(holder: str) -> bool:
    """Whether the lease owner ``holder`` (``host:pid/run``) was a process of this host that is gone
    (a prefork process killed mid-job, whose task the broker redelivered at once)."""
    identity = holder.split("/", 1)[0]
    host, _, pid = identity.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


class JobLeases:
    """Takes, renews and gives back leases on jobs for one worker process."""

    def __init__(self, store: LeaseStore, terms: LeaseTerms, *, clock: Clock = now_ns) -> None:
        self.store = store
        self.terms = terms
        self.clock = clock

    @contextlib.asynccontextmanager
    async def hold(self, job_id: str) -> AsyncIterator[bool]:
        """Hold a lease on ``job_id`` while the block runs, renewing it; yields whether it was
        taken (``False``: the job ended, or another worker holds a live lease on it)."""
        owner = f"{worker_identity()}/{uuid4().hex[:12]}"
        now = self.clock()
        taken = await self.store.take_lease(job_id, owner, self.terms.until(now), now)
        if not taken:
            holder = await self.store.lease_owner(job_id)
            if holder is not None and died_on_this_host(holder):
                taken = await self.store.take_lease_from(job_id, holder, owner, self.terms.until(now))
        if not taken:
            yield False
            return
        heartbeat = asyncio.create_task(self._renew(job_id, owner), name=f"lease-{job_id}")
        try:
            yield True
        finally:
            heartbeat.cancel()
            await asyncio.gather(heartbeat, return_exceptions=True)
            await self.store.release_lease(job_id, owner)

    async def _renew(self, job_id: str, owner: str) -> None:
        while True:
            await asyncio.sleep(self.terms.renew_every_s)
            try:
                kept = await self.store.renew_lease(job_id, owner, self.terms.until(self.clock()))
            except Exception:  # a database hiccup: the next renewal may get through in time
                logger.warning("could not renew the lease on job %s", job_id, exc_info=True)
                continue
            if not kept:
                # Reclaimed (this worker was too slow to renew) or the job ended: another run
                # may take it; this one goes on, every step being safe to repeat.
                logger.warning("lost the lease on job %s; another worker may run it too", job_id)
                return


async def requeue_expired(store: LeaseStore, queue: JobQueue, *, now: int | None = None) -> list[str]:
    """Put every job whose lease ran out back on the queue; the ids put back."""
    at = now_ns() if now is None else now
    reclaimed = await store.reclaim_expired_leases(at)
    for job_id in reclaimed:
        try:
            await queue.requeue(job_id)
        except Exception:
            # The broker is away: leave an expired lease behind, so the next sweep tries again.
            await store.take_lease(job_id, SWEEPER, at, at)
            raise
    if reclaimed:
        logger.warning("re-queued %d job(s) whose worker stopped renewing its lease", len(reclaimed))
    return reclaimed


async def sweep_forever(store: LeaseStore, queue: JobQueue, terms: LeaseTerms, stop: asyncio.Event) -> None:
    """Call :func:`requeue_expired` every ``terms.sweep_every_s`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            await requeue_expired(store, queue)
        except Exception:  # the database or broker is away; try again at the next sweep
            logger.warning("sweeping expired job leases failed", exc_info=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), terms.sweep_every_s)
