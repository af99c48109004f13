"""Which parts the service runs on: one machine (the default) or shared, distributed parts.

Four settings select the mode and nothing else changes:

* ``DATABASE_URL`` -- unset or ``sqlite:`` keeps jobs and file metadata in SQLite files
  under the data dir; ``postgresql://`` puts them in PostgreSQL;
* ``REDIS_URL`` -- the Celery broker (and the app's Reflex state manager); unset means one process;
* ``STORAGE_URL`` -- ``file://DIR`` (default: the data dir's ``files/``) or ``s3://BUCKET``,
  with ``S3_ENDPOINT_URL`` for any S3-compatible store (credentials from the usual
  ``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``);
* ``WORKFLOW_WORKERS`` -- ``inprocess`` (runners inside the service) or ``celery``.
"""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from dashboard.local_filestack.config.environment import settings_config

_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg", "postgresql+psycopg2")


class DeploymentError(ValueError):
    """The settings name a combination the service cannot run with."""


class WorkflowWorkers(str, Enum):
    """Where workflow jobs run."""

    INPROCESS = "inprocess"
    CELERY = "celery"


class DeploymentSettings(BaseSettings):
    """The parts the service runs on; the defaults are the single-machine mode."""

    model_config = settings_config()

    database_url: str | None = None
    redis_url: str | None = None
    storage_url: str | None = None
    s3_endpoint_url: str | None = None
    s3_region: str = "us-east-1"
    workflow_workers: WorkflowWorkers = WorkflowWorkers.INPROCESS
    #: Seconds a task taken by a queue worker may stay unacknowledged before the broker hands it
    #: to another worker (a worker killed mid-task). Longer than the longest job.
    visibility_timeout_s: float = Field(default=600.0, gt=0, validation_alias="queue_visibility_timeout_s")

    @field_validator("database_url", "redis_url", "storage_url", "s3_endpoint_url", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("workflow_workers", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    # -- what the settings mean --------------------------------------------

    @property
    def uses_postgres(self) -> bool:
        """Jobs and file metadata live in PostgreSQL."""
        return self.database_url is not None and urlsplit(self.database_url).scheme in _POSTGRES_SCHEMES

    @property
    def postgres_dsn(self) -> str:
        """The libpq connection string (SQLAlchemy's ``+driver`` suffix removed)."""
        if not self.uses_postgres or self.database_url is None:
            raise DeploymentError("DATABASE_URL is not a PostgreSQL URL")
        scheme, rest = self.database_url.split("://", 1)
        return f"postgresql://{rest}" if "+" in scheme or scheme == "postgres" else self.database_url

    @property
    def uses_celery(self) -> bool:
        """Workflow jobs run on Celery workers."""
        return self.workflow_workers is WorkflowWorkers.CELERY

    @property
    def s3_bucket(self) -> str | None:
        """The bucket of an ``s3://BUCKET`` storage URL, else ``None``."""
        if self.storage_url is None:
            return None
        parts = urlsplit(self.storage_url)
        if parts.scheme != "s3":
            return None
        if not parts.netloc:
            raise DeploymentError(f"STORAGE_URL {self.storage_url!r} names no bucket")
        return parts.netloc

    def files_dir(self, data_dir: Path) -> Path:
        """Where blobs go in file mode: ``file://DIR`` or the data dir's ``files/``."""
        if self.storage_url is None:
            return data_dir / "files"
        parts = urlsplit(self.storage_url)
        if parts.scheme != "file":
            raise DeploymentError(f"STORAGE_URL {self.storage_url!r} is not a file:// URL")
        return Path(parts.netloc + parts.path) if parts.netloc + parts.path else data_dir / "files"

    def check(self) -> None:
        """Refuse combinations that cannot work, with the reason."""
        if self.storage_url is not None and urlsplit(self.storage_url).scheme not in ("file", "s3"):
            raise DeploymentError(f"STORAGE_URL must be file://DIR or s3://BUCKET, got {self.storage_url!r}")
        self.s3_bucket  # noqa: B018 -- validates the bucket name
        scheme = urlsplit(self.database_url).scheme.split("+")[0] if self.database_url else "sqlite"
        if not self.uses_postgres and scheme != "sqlite":
            raise DeploymentError(f"DATABASE_URL must be sqlite: or postgresql:, got {self.database_url!r}")
        if self.uses_celery:
            if self.redis_url is None:
                raise DeploymentError("WORKFLOW_WORKERS=celery needs REDIS_URL (the broker)")
            if not self.uses_postgres:
                raise DeploymentError(
                    "WORKFLOW_WORKERS=celery needs a PostgreSQL DATABASE_URL (the job store)"
                )
