"""Choosing the job store and the job queue from the deployment settings.

Default: :class:`~dashboard.local_filestack.workflows.stores.store.SqliteJobStore` in the data dir
and the :class:`~dashboard.local_filestack.workflows.engine.queue.InProcessQueue`. A PostgreSQL
``DATABASE_URL`` selects :class:`~dashboard.local_filestack.workflows.stores.postgres.PostgresJobStore`;
``WORKFLOW_WORKERS=celery`` selects :class:`~dashboard.local_filestack.workflows.celery.queue.CeleryQueue`.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.workflows.engine.queue import InProcessQueue, JobQueue
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.workflows.stores.store import DB_FILENAME, JobStore, SqliteJobStore


def open_job_store(data_dir: Path, deployment: DeploymentSettings, settings: WorkflowSettings) -> JobStore:
    """The job store the settings select."""
    if deployment.uses_postgres:
        from dashboard.local_filestack.workflows.stores.postgres import PostgresJobStore

        return PostgresJobStore(deployment.postgres_dsn, threads=settings.store_threads)
    return SqliteJobStore(data_dir / DB_FILENAME, threads=settings.store_threads)


def open_job_queue(deployment: DeploymentSettings, settings: WorkflowSettings) -> JobQueue:
    """The job queue the settings select."""
    deployment.check()
    if deployment.uses_celery:
        from dashboard.local_filestack.workflows.celery.queue import CeleryQueue

        return CeleryQueue(deployment, settings.queue_size)
    return InProcessQueue(settings.queue_size)
