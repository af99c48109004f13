""":class:`~dashboard.local_filestack.workflows.engine.queue.JobQueue` on Celery with a Redis broker.

The app workers only put job ids on it; queue workers
(:mod:`dashboard.local_filestack.workflows.celery.worker`) take them. Like the
in-process queue it holds ids only, and it refuses new jobs while ``capacity``
wait already (HTTP 429).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.workflows.celery.app import JOBS_QUEUE, RUN_JOB_TASK, make_celery
from dashboard.local_filestack.workflows.model.errors import QueueFull, QueueUnavailable

#: How a queue worker's process running a cancelled job is stopped: at once, whatever it does.
STOP_SIGNAL = "SIGKILL"


class NotConsumedHere(RuntimeError):
    """Jobs of this queue are taken by queue workers, not by this process."""


class CeleryQueue:
    """Job ids sent as Celery tasks; the waiting count is the broker's list length."""

    def __init__(self, deployment: DeploymentSettings, capacity: int) -> None:
        if capacity < 1:
            raise ValueError(f"queue capacity must be at least 1, got {capacity}")
        import redis

        self.capacity = capacity
        self.celery = make_celery(deployment)
        self._redis: Any = redis.Redis.from_url(deployment.redis_url or "", socket_timeout=10)
        self._lock = threading.Lock()

    def _send(self, job_id: str) -> None:
        with self._lock:  # one producer connection, used by one thread at a time
            # The task id is the job id, so a cancelled job's task can be revoked by name.
            self.celery.send_task(RUN_JOB_TASK, args=[job_id], queue=JOBS_QUEUE, task_id=job_id)

    def _revoke(self, job_id: str) -> None:
        with self._lock:
            self.celery.control.revoke(job_id, terminate=True, signal=STOP_SIGNAL)

    async def put(self, job_id: str) -> None:
        import redis
        from kombu.exceptions import OperationalError

        try:
            if await asyncio.to_thread(self.size) >= self.capacity:
                raise QueueFull(self.capacity)
            await asyncio.to_thread(self._send, job_id)
        except (redis.RedisError, OperationalError) as err:  # the broker is down or restarting
            raise QueueUnavailable(str(err)) from err

    async def requeue(self, job_id: str) -> None:
        await asyncio.to_thread(self._send, job_id)

    async def stop_running(self, job_id: str) -> None:
        """Revoke the job's task: a worker that has not started it drops it, and the worker
        process running it is killed (``SIGKILL``) and replaced by its worker. The job has
        ended in the store already, so a redelivered copy stops at once."""
        await asyncio.to_thread(self._revoke, job_id)

    async def get(self) -> str:
        raise NotConsumedHere("jobs on the Celery queue are run by queue workers")

    def size(self) -> int:
        return int(self._redis.llen(JOBS_QUEUE))

    @property
    def consumed_here(self) -> bool:
        return False

    def close(self) -> None:
        """Release the broker connections."""
        self._redis.close()
        self.celery.close()
