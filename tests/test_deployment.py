"""The settings that select the mode, and the Celery queue's producer side on a real Redis."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from scale_support import require_redis

from dashboard.local_filestack.app import open_job_queue
from dashboard.local_filestack.config.deployment import DeploymentError, DeploymentSettings, WorkflowWorkers
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.workflows.engine.queue import InProcessQueue
from dashboard.local_filestack.workflows.model.errors import QueueFull


def test_nothing_set_is_the_single_machine_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DATABASE_URL", "REDIS_URL", "STORAGE_URL", "S3_ENDPOINT_URL", "WORKFLOW_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    settings = DeploymentSettings()
    settings.check()
    assert not settings.uses_postgres and not settings.uses_celery and settings.s3_bucket is None
    assert settings.files_dir(tmp_path) == tmp_path / "files"
    assert isinstance(open_job_queue(ServiceSettings(deployment=settings)), InProcessQueue)


def test_the_environment_selects_the_distributed_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db:5432/app")
    monkeypatch.setenv("REDIS_URL", "redis://r:6379/0")
    monkeypatch.setenv("STORAGE_URL", "s3://photos")
    monkeypatch.setenv("S3_ENDPOINT_URL", "http://minio:9000")
    monkeypatch.setenv("WORKFLOW_WORKERS", " Celery ")
    settings = DeploymentSettings()
    settings.check()
    assert settings.uses_postgres and settings.postgres_dsn == "postgresql://u@db:5432/app"
    assert settings.workflow_workers is WorkflowWorkers.CELERY and settings.s3_bucket == "photos"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        ({"workflow_workers": "celery", "database_url": "postgresql://x/y"}, "REDIS_URL"),
        ({"workflow_workers": "celery", "redis_url": "redis://r"}, "PostgreSQL"),
        ({"storage_url": "ftp://host/dir"}, "file://DIR or s3://BUCKET"),
        ({"storage_url": "s3://"}, "names no bucket"),
        ({"database_url": "mysql://h/db"}, "sqlite: or postgresql:"),
    ],
)
def test_combinations_that_cannot_work_are_refused(values: dict[str, str], problem: str) -> None:
    with pytest.raises(DeploymentError, match=problem):
        DeploymentSettings.model_validate(values).check()


def test_file_storage_url_names_the_directory(tmp_path: Path) -> None:
    settings = DeploymentSettings(storage_url=f"file://{tmp_path / 'blobs'}")
    assert settings.files_dir(Path("/data")) == tmp_path / "blobs"


async def test_the_celery_queue_sends_ids_and_refuses_past_its_bound() -> None:
    pytest.importorskip("celery", reason="the scale extra is not installed")
    import redis

    base = require_redis()
    url = f"{base.rstrip('/')}/{random.choice((14, 15))}"
    redis.Redis.from_url(url).flushdb()
    deployment = DeploymentSettings(redis_url=url, database_url="postgresql://x/y", workflow_workers="celery")
    queue = open_job_queue(ServiceSettings(deployment=deployment, workflows=WorkflowSettings(queue_size=2)))
    try:
        assert not queue.consumed_here and queue.size() == 0
        await queue.put("job-1")
        await queue.put("job-2")
        assert queue.size() == 2
        with pytest.raises(QueueFull):
            await queue.put("job-3")
        await queue.requeue("job-3")  # recovery is never refused
        assert queue.size() == 3
    finally:
        redis.Redis.from_url(url).flushdb()
        queue.close()  # type: ignore[attr-defined]
