"""Leases on running jobs: a job whose worker stopped renewing is queued again, once.

Runs against SQLite and PostgreSQL with an explicit clock, so expiry is decided by the
times given, not by waiting.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from uuid import uuid4

import pytest
from scale_support import sql_job_store

from dashboard.local_filestack.workflows.engine.leases import JobLeases, requeue_expired
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    JobStatus,
    SourceKind,
    WorkflowRecord,
    now_ns,
)
from dashboard.local_filestack.workflows.model.leases import NS_PER_S, LeaseTerms, expired
from dashboard.local_filestack.workflows.stores.sql import SqlJobStore

TERMS = LeaseTerms(lease_s=10)
T0 = 1_000 * NS_PER_S


@pytest.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SqlJobStore]:
    async with sql_job_store(request.param, tmp_path) as opened:
        yield opened


async def a_job(store: SqlJobStore) -> str:
    at = now_ns()
    workflow = WorkflowRecord(
        id=uuid4(), name="w", tasks=[{"id": "a", "action": "delete"}], created_at=at, updated_at=at
    )
    job = JobRecord(
        uuid=uuid4(),
        workflow=workflow,
        source=JobSource(kind=SourceKind.HANDLE, value="A" * 20),
        source_handle="A" * 20,
        created_at=at,
        updated_at=at,
    )
    await store.create_job(job)
    return job.id


class RecordingQueue:
    """A queue that records what was put back, and can be made to fail like a broker that is away."""

    def __init__(self, *, failing: bool = False) -> None:
        self.requeued: list[str] = []
        self.failing = failing

    async def requeue(self, job_id: str) -> None:
        if self.failing:
            raise ConnectionError("broker away")
        self.requeued.append(job_id)


def test_a_lease_runs_out_after_its_length_and_is_renewed_three_times_in_it() -> None:
    assert TERMS.until(T0) == T0 + 10 * NS_PER_S
    assert not expired(TERMS.until(T0), T0 + 10 * NS_PER_S)
    assert expired(TERMS.until(T0), T0 + 10 * NS_PER_S + 1)
    assert not expired(None, T0)
    assert TERMS.renew_every_s * 3 == pytest.approx(10)
    assert TERMS.worst_handover_s() < 30  # a vanished worker's job is queued again within 30 s


async def test_a_live_lease_keeps_other_workers_off_the_job(store: SqlJobStore) -> None:
    job_id = await a_job(store)
    assert await store.take_lease(job_id, "worker-a", TERMS.until(T0), T0)
    later = T0 + 5 * NS_PER_S
    assert not await store.take_lease(job_id, "worker-b", TERMS.until(later), later)
    assert await store.reclaim_expired_leases(later) == []
    # the holder renews: still its own past the first expiry
    assert await store.renew_lease(job_id, "worker-a", TERMS.until(later))
    past_first = T0 + 12 * NS_PER_S
    assert await store.reclaim_expired_leases(past_first) == []
    assert not await store.take_lease(job_id, "worker-b", TERMS.until(past_first), past_first)


async def test_an_expired_lease_is_reclaimed_once_and_the_job_queued_again(store: SqlJobStore) -> None:
    job_id = await a_job(store)
    other = await a_job(store)
    assert await store.take_lease(job_id, "worker-a", TERMS.until(T0), T0)
    await store.mark_running(job_id, T0)
    after = T0 + 11 * NS_PER_S
    queues = [RecordingQueue(), RecordingQueue()]
    # two sweepers at once: exactly one of them queues the job again
    swept = await asyncio.gather(*(requeue_expired(store, queue, now=after) for queue in queues))
    assert sorted(len(ids) for ids in swept) == [0, 1]
    assert [q.requeued for q in queues if q.requeued] == [[job_id]]
    assert other not in swept[0] + swept[1]  # a job nobody leased (waiting in the queue) is left alone
    # the dead holder's renewal is refused; the next worker takes the job
    assert not await store.renew_lease(job_id, "worker-a", TERMS.until(after))
    assert await store.take_lease(job_id, "worker-b", TERMS.until(after), after)
    assert (await store.get_job(job_id)).status is JobStatus.RUNNING


async def test_a_finished_job_is_never_leased_nor_reclaimed(store: SqlJobStore) -> None:
    job_id = await a_job(store)
    assert await store.take_lease(job_id, "worker-a", TERMS.until(T0), T0)
    assert await store.finish(job_id, JobStatus.DONE, "", T0 + 1)
    assert await store.reclaim_expired_leases(T0 + 60 * NS_PER_S) == []
    assert not await store.take_lease(job_id, "worker-b", TERMS.until(T0), T0 + 60 * NS_PER_S)


async def test_a_sweep_that_cannot_reach_the_broker_tries_again_at_the_next(store: SqlJobStore) -> None:
    job_id = await a_job(store)
    assert await store.take_lease(job_id, "worker-a", TERMS.until(T0), T0)
    after = T0 + 11 * NS_PER_S
    with pytest.raises(ConnectionError):
        await requeue_expired(store, RecordingQueue(failing=True), now=after)
    working = RecordingQueue()
    assert await requeue_expired(store, working, now=after + 1) == [job_id]
    assert working.requeued == [job_id]


async def test_a_held_lease_is_renewed_while_the_run_lasts_and_given_back_after(store: SqlJobStore) -> None:
    job_id = await a_job(store)
    clock = [T0]
    leases = JobLeases(store, LeaseTerms(lease_s=1.5), clock=lambda: clock[0])  # renews every 0.5 s
    async with leases.hold(job_id) as held:
        assert held
        async with leases.hold(job_id) as second:
            assert not second  # a second delivery while the first runs is dropped
        # time passes beyond the first lease; the heartbeat keeps it
        clock[0] = T0 + 10 * NS_PER_S

        async def renewed() -> None:
            while not await _lease_until_at_least(store, job_id, T0 + 10 * NS_PER_S):
                await asyncio.sleep(0.05)

        await asyncio.wait_for(renewed(), 60)
        assert await store.reclaim_expired_leases(T0 + 11 * NS_PER_S) == []
    # given back: the next run takes it at once
    assert await store.take_lease(job_id, "worker-b", TERMS.until(clock[0]), clock[0])


async def _lease_until_at_least(store: SqlJobStore, job_id: str, at: int) -> bool:
    rows = await asyncio.to_thread(
        store.db.query, f"SELECT lease_until FROM jobs WHERE uuid = {store.dialect.mark}", (job_id,)
    )
    return rows[0][0] is not None and rows[0][0] >= at


async def test_a_lease_of_a_dead_process_of_this_host_is_taken_at_once(store: SqlJobStore) -> None:
    import socket
    import sys

    job_id = await a_job(store)
    gone = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "import os; print(os.getpid())", stdout=asyncio.subprocess.PIPE
    )
    printed, _ = await gone.communicate()
    dead_holder = f"{socket.gethostname()}:{int(printed)}/run"
    now = now_ns()
    assert await store.take_lease(job_id, dead_holder, TERMS.until(now), now)
    async with JobLeases(store, TERMS).hold(job_id) as held:
        assert held, "the redelivered job waited for the dead process's lease to run out"
    # a live holder (this very process) is respected
    other = await a_job(store)
    live_holder = f"{socket.gethostname()}:{os.getpid()}/run"
    assert await store.take_lease(other, live_holder, TERMS.until(now), now)
    async with JobLeases(store, TERMS).hold(other) as held:
        assert not held
