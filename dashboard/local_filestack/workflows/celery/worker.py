"""A queue worker: runs workflow jobs taken from the Celery queue.

    python -m dashboard.local_filestack.workflows.celery.worker [--concurrency N] [--name NAME]
    celery -A dashboard.local_filestack.workflows.celery.worker worker -Q workflow-jobs,workflow-webhooks

Settings come from the environment, as for the app: ``REDIS_URL`` (broker),
``DATABASE_URL`` (PostgreSQL job store and file records), ``STORAGE_URL`` /
``S3_ENDPOINT_URL`` (the files), ``DATA_DIR`` (the service's key and secret, or
``FILESTACK_APP_SECRET``). Each prefork process builds one :class:`JobRunner` on
first use -- the same engine, actions and pure DAG code as the in-process mode --
and runs one job at a time on its own event loop; image work runs in that process.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg

from dashboard.local_filestack.config.service import ServiceConfig
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.pg import PostgresUnavailable
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.workflows.engine.actions import ActionResources, default_registry
from dashboard.local_filestack.workflows.celery.app import (
    DELIVER_WEBHOOK_TASK,
    JOBS_QUEUE,
    RUN_JOB_TASK,
    WEBHOOKS_QUEUE,
    make_celery,
)
from dashboard.local_filestack.workflows.celery.queue import CeleryQueue
from dashboard.local_filestack.workflows.engine.runner import WorkflowEngine
from dashboard.local_filestack.workflows.model.jobs import JobRecord
from dashboard.local_filestack.workflows.stores.postgres import PostgresJobStore
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.workflows.engine.sources import FetchSettings, SourceResolver
from dashboard.local_filestack.workflows.engine.webhooks import WebhookSender

logger = logging.getLogger("dashboard.local_filestack.workflows.worker")

DATA_DIR_ENV = "DATA_DIR"
DEFAULT_DATA_DIR = Path("uploaded_files") / "local_filestack"
#: Retries of a job whose database or object store could not be reached, with this many seconds apart.
INFRA_RETRIES = 20
INFRA_RETRY_DELAY_S = 3.0

deployment = DeploymentSettings.from_env()
app = make_celery(deployment)


class JobRunner:
    """What one worker process needs to run jobs: store, storage, engine, its event loop."""

    def __init__(self, config: ServiceConfig, settings: WorkflowSettings | None = None) -> None:
        deployment = config.deployment
        self.settings = settings or WorkflowSettings()
        self.loop = asyncio.new_event_loop()
        self.store = PostgresJobStore(deployment.postgres_dsn, threads=2)
        self.storage = open_storage(config.data_dir, deployment)
        self.queue = CeleryQueue(deployment, self.settings.queue_size)
        self.cpu = ThreadPoolExecutor(max_workers=1, thread_name_prefix="job-cpu")
        self.webhooks = WebhookSender(
            store=self.store,
            settings=self.settings,
            app_secret=config.app_secret,
            allow_private=config.allow_private_fetch,
        )
        self.engine = WorkflowEngine(
            store=self.store,
            queue=self.queue,
            registry=default_registry(),
            resources=ActionResources(
                storage=self.storage,
                store=self.store,
                pool=self.cpu,
                limits=config.limits,
                public_url=config.public_url,
            ),
            resolver=SourceResolver(
                self.storage,
                self.store,
                FetchSettings(
                    allow_private=config.allow_private_fetch,
                    timeout_s=config.fetch_timeout_s,
                    max_bytes=min(config.fetch_max_bytes, config.max_upload_bytes),
                ),
                config.limits,
            ),
            settings=self.settings,
            on_finished=self._job_finished,
        )

    async def _job_finished(self, job: JobRecord) -> None:
        """Hand the webhook to the webhooks queue: its retries must not hold a job slot."""
        if job.workflow.webhook:
            await asyncio.to_thread(app.send_task, DELIVER_WEBHOOK_TASK, args=[job.id], queue=WEBHOOKS_QUEUE)

    def run_job(self, job_id: str) -> str | None:
        """Run one job to its end (at once if it ended already); its final status."""
        job = self.loop.run_until_complete(self.engine.run_job(job_id))
        return job.status.value if job is not None else None

    def fail_job(self, job_id: str, exc: Exception) -> None:
        """Record a job as failed after an unexpected error (it ends once, like any job)."""
        self.loop.run_until_complete(self.engine._finish_after_crash(job_id, exc))

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
        data_dir = Path(os.environ.get(DATA_DIR_ENV) or DEFAULT_DATA_DIR)
        public_url = os.environ.get("EMBEDDED_BASE_URL")
        _runner = JobRunner(ServiceConfig.from_env(data_dir, public_url=public_url))
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
    deployment.check()
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
