"""Choosing the job store and the job queue from the deployment settings.

Default: :class:`~dashboard.local_filestack.workflows.store.SqliteJobStore` in the data dir
and the :class:`~dashboard.local_filestack.workflows.queue.InProcessQueue`. A PostgreSQL
``DATABASE_URL`` selects :class:`~dashboard.local_filestack.workflows.pg_store.PostgresJobStore`;
``WORKFLOW_WORKERS=celery`` selects :class:`~dashboard.local_filestack.workflows.celery_queue.CeleryQueue`.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.local_filestack.deployment import DeploymentSettings
from dashboard.local_filestack.workflows.queue import InProcessQueue, JobQueue
from dashboard.local_filestack.workflows.settings import WorkflowSettings
from dashboard.local_filestack.workflows.store import DB_FILENAME, JobStore, SqliteJobStore


def open_job_store(data_dir: Path, deployment: DeploymentSettings, settings: WorkflowSettings) -> JobStore:
    """The job store the settings select."""
    if deployment.uses_postgres:
        from dashboard.local_filestack.workflows.pg_store import PostgresJobStore

        return PostgresJobStore(deployment.postgres_dsn, threads=settings.store_threads)
    return SqliteJobStore(data_dir / DB_FILENAME, threads=settings.store_threads)


def open_job_queue(deployment: DeploymentSettings, settings: WorkflowSettings) -> JobQueue:
    """The job queue the settings select."""
    deployment.check()
    if deployment.uses_celery:
        from dashboard.local_filestack.workflows.celery_queue import CeleryQueue

        return CeleryQueue(deployment, settings.queue_size)
    return InProcessQueue(settings.queue_size)
