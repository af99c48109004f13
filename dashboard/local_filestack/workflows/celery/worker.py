"""A queue worker: runs workflow jobs taken from the Celery queue.

    python -m dashboard.local_filestack.workflows.celery.worker [--concurrency N] [--name NAME]
    celery -A dashboard.local_filestack.workflows.celery.worker worker -Q workflow-jobs,workflow-webhooks

Settings are the service's (:class:`ServiceSettings`: the environment and the project's
``.env``, as for the app): ``REDIS_URL`` (broker), ``DATABASE_URL`` (PostgreSQL job store
and file records), ``STORAGE_URL`` / ``S3_ENDPOINT_URL`` (the files), ``DATA_DIR`` (the
service's key and secret, or ``FILESTACK_APP_SECRET``), ``EMBEDDED_BASE_URL``. Each prefork
process builds one :class:`JobRunner` on first use -- the engine of
:func:`~dashboard.local_filestack.workflows.engine.build.build_engine`, as in the
in-process mode -- and runs one job at a time on its own event loop; image work runs in
that process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
from celery.signals import worker_ready, worker_shutdown

from dashboard.local_filestack.config.credentials import resolve_credentials
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.ingest.netguard import FetchOptions, parse_allowed_hosts
from dashboard.local_filestack.intelligence import face_boxes
from dashboard.local_filestack.storage.aliases import open_aliases
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.pg import PostgresUnavailable
from dashboard.local_filestack.workflows.celery.app import (
    DELIVER_WEBHOOK_TASK,
    JOBS_QUEUE,
    RUN_JOB_TASK,
    WEBHOOKS_QUEUE,
    make_celery,
)
from dashboard.local_filestack.workflows.celery.queue import CeleryQueue
from dashboard.local_filestack.workflows.engine.build import build_engine
from dashboard.local_filestack.workflows.engine.events import open_job_events
from dashboard.local_filestack.workflows.engine.leases import JobLeases, sweep_forever
from dashboard.local_filestack.workflows.engine.webhooks import WebhookSender
from dashboard.local_filestack.workflows.model.jobs import JobRecord
from dashboard.local_filestack.workflows.model.leases import LeaseTerms
from dashboard.local_filestack.workflows.stores.sql import open_job_store

logger = logging.getLogger(__name__)

#: Retries of a job whose database or object store could not be reached, with this many seconds apart.
INFRA_RETRIES = 20
INFRA_RETRY_DELAY_S = 3.0
#: Threads of a worker process's job store (it runs one job at a time).
STORE_THREADS = 2

settings = ServiceSettings()
app = make_celery(settings.deployment)


class JobRunner:
    """What one worker process needs to run jobs: store, storage, engine, its event loop."""

    def __init__(self, settings: ServiceSettings) -> None:
        deployment = settings.deployment
        credentials = resolve_credentials(settings)
        self.loop = asyncio.new_event_loop()
        self.store = open_job_store(settings.data_dir, deployment, threads=STORE_THREADS)
        self.storage = open_storage(
            settings.data_dir, deployment, quota_bytes=settings.limits.storage_quota_bytes
        )
        self.queue = CeleryQueue(deployment, settings.workflows.queue_size)
        self.leases = JobLeases(self.store, LeaseTerms(lease_s=settings.workflows.lease_s))
        self.cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-cpu")
        fetching = FetchOptions(
            max_bytes=settings.limits.max_upload_bytes,
            allowed_hosts=parse_allowed_hosts(settings.fetch_allowed_hosts),
        )
        self.webhooks = WebhookSender(
            store=self.store,
            settings=settings.workflows,
            app_secret=credentials.app_secret,
            allow_private=fetching.allow_private,
            allowed_hosts=fetching.allowed_hosts,
        )
        self.engine = build_engine(
            settings=settings.workflows,
            store=self.store,
            queue=self.queue,
            storage=self.storage,
            pool=self.cpu,
            limits=settings.limits.image,
            fetching=fetching,
            public_url=settings.public_url,
            find_faces=face_boxes,
            on_finished=self._job_finished,
            aliases=open_aliases(settings.aliases, deployment),
            events=open_job_events(deployment.redis_url),  # publishing only: app workers listen
        )

    async def _job_finished(self, job: JobRecord) -> None:
        """Hand the webhook to the webhooks queue: its retries must not hold a job slot."""
        if job.workflow.webhook:
            await asyncio.to_thread(app.send_task, DELIVER_WEBHOOK_TASK, args=[job.id], queue=WEBHOOKS_QUEUE)

    def run_job(self, job_id: str) -> str | None:
        """Run one job to its end under a lease (at once if it ended already); its final status."""
        return self.loop.run_until_complete(self._run_leased(job_id))

    async def _run_leased(self, job_id: str) -> str | None:
        async with self.leases.hold(job_id) as held:
            if not held:
                # Ended already, or a live worker holds it: this is a redelivered copy.
                logger.info("job %s is ended or leased by a live worker; this delivery is dropped", job_id)
                return None
            job = await self.engine.run_job(job_id)
        return job.status.value if job is not None else None

    def fail_job(self, job_id: str, exc: Exception) -> None:
        """Record a job as failed after an unexpected error (it ends once, like any job)."""
        self.loop.run_until_complete(self.engine.finish_after_crash(job_id, exc))

    def deliver_webhook(self, job_id: str) -> None:
        """Post a finished job's webhook with the usual retries."""
        job = self.loop.run_until_complete(self.store.get_job(job_id))
        if job is not None:
            self.loop.run_until_complete(self.webhooks.deliver(job))


_runner: JobRunner | None = None


def runner() -> JobRunner:
    """This process's job runner, built on first use (after the prefork fork)."""
    global _runner
    if _runner is None:
        _runner = JobRunner(settings)
    return _runner


_INFRA_ERRORS: tuple[type[BaseException], ...] = (
    PostgresUnavailable,
    psycopg.OperationalError,
    ConnectionError,
    TimeoutError,
)


@app.task(name=RUN_JOB_TASK, bind=True, max_retries=INFRA_RETRIES)
def run_job(task: Any, job_id: str) -> str | None:
    """The Celery task: run the job; retry later when the database cannot be reached."""
    try:
        return runner().run_job(job_id)
    except _INFRA_ERRORS as exc:
        logger.warning("job %s waits for the database or storage: %s", job_id, exc)
        raise task.retry(exc=exc, countdown=INFRA_RETRY_DELAY_S) from exc
    except Exception as exc:  # a job's crash fails the job, never the worker
        logger.exception("workflow job %s crashed", job_id)
        runner().fail_job(job_id, exc)
        return "failed"


@app.task(name=DELIVER_WEBHOOK_TASK)
def deliver_webhook(job_id: str) -> None:
    """The Celery task: deliver a finished job's webhook."""
    runner().deliver_webhook(job_id)


class LeaseSweeper:
    """A thread of the worker's main process that re-queues jobs whose lease ran out (their
    worker vanished). Every queue worker runs one; each expired lease is reclaimed by one."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self.terms = LeaseTerms(lease_s=settings.workflows.lease_s)
        self._loop = asyncio.new_event_loop()
        self._stop = asyncio.Event()
        self._thread = threading.Thread(target=self._run, name="lease-sweeper", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        self._loop.run_until_complete(self._sweep())

    async def _sweep(self) -> None:
        deployment = self.settings.deployment
        store = open_job_store(self.settings.data_dir, deployment, threads=1)
        queue = CeleryQueue(deployment, self.settings.workflows.queue_size)
        try:
            await sweep_forever(store, queue, self.terms, self._stop)
        finally:
            queue.close()
            await store.close()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10)


_sweeper: LeaseSweeper | None = None


@worker_ready.connect
def _start_sweeper(**_kwargs: Any) -> None:
    global _sweeper
    _sweeper = LeaseSweeper(settings)
    _sweeper.start()


@worker_shutdown.connect
def _stop_sweeper(**_kwargs: Any) -> None:
    if _sweeper is not None:
        _sweeper.stop()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(
        prog="python -m dashboard.local_filestack.workflows.celery.worker",
        description="Run workflow jobs from the Celery queue (prefork processes).",
    )
    parser.add_argument(
        "--concurrency", type=int, default=os.cpu_count() or 1, help="processes (default: cores)"
    )
    parser.add_argument("--name", default=f"workflows@{socket.gethostname()}-{os.getpid()}")
    parser.add_argument("--loglevel", default="INFO")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Start a prefork worker on the jobs and webhooks queues."""
    args = parse_args(argv)
    settings.deployment.check()
    app.worker_main(
        [
            "worker",
            "--pool=prefork",
            f"--concurrency={args.concurrency}",
            f"--hostname={args.name}",
            f"--queues={JOBS_QUEUE},{WEBHOOKS_QUEUE}",
            f"--loglevel={args.loglevel}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
    )


if __name__ == "__main__":
    main()
