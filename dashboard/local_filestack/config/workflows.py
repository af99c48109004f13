"""Settings of the workflow engine (all have working defaults; ``WORKFLOW_<NAME>`` sets each)."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings

from dashboard.local_filestack.config.environment import PROJECT_ROOT, settings_config

MAX_DEFAULT_PROCESS_WORKERS = 4


class WorkflowSettings(BaseSettings):
    """How many jobs run at once, how long tasks may take, how webhooks are retried.

    * ``runners`` -- jobs run concurrently (each runs its independent tasks concurrently too);
    * ``queue_size`` -- jobs that may wait for a runner; one more is refused (HTTP 429);
    * ``task_timeout_s`` -- a task running longer fails with "timed out after N s";
    * ``job_timeout_s`` -- a job running longer (all its tasks) fails with "job timed out after N s";
    * ``ttl_s`` -- seconds a finished job stays readable before it is purged (48 hours, as
      Filestack's ``ttl`` shows);
    * ``purge_interval_s`` -- how often expired jobs are purged while running;
    * ``process_workers`` -- processes of the image pool (default ``min(cpu count, 4)``);
    * ``webhook_attempts`` / ``webhook_base_delay_s`` / ``webhook_max_delay_s`` -- delivery
      retries with exponential backoff (``base * 2**(attempt-1)``, capped);
    * ``webhook_timeout_s`` -- the time one delivery attempt may take;
    * ``store_threads`` -- threads the job store runs its statements on;
    * ``lease_s`` -- with queue workers, how long a worker's lease on a running job lasts without
      a renewal (renewed every third of it); a job whose lease ran out (its worker vanished) is
      queued again for another worker;
    * ``clamd_socket`` / ``clamd_host`` / ``clamd_port`` -- where the ``virus_scan`` action
      finds ClamAV's clamd: its unix socket (default ``.cluster/clamav/clamd.sock``, where
      ``scripts/ensure-clamav.sh start`` puts it; relative to the project), or a TCP address
      when ``clamd_host`` is set;
    * ``scan_timeout_s`` / ``scan_max_bytes`` -- the longest wait for clamd, and clamd's
      ``StreamMaxLength`` (a larger file fails its scan before it is sent).
    """

    model_config = settings_config(env_prefix="WORKFLOW_")

    runners: int = Field(default=4, ge=1, le=256)
    queue_size: int = Field(default=1000, ge=1)
    task_timeout_s: float = Field(default=60.0, gt=0)
    job_timeout_s: float = Field(default=90.0, gt=0)
    ttl_s: float = Field(default=172_800.0, gt=0)
    purge_interval_s: float = Field(default=600.0, gt=0)
    process_workers: int | None = Field(default=None, ge=1, le=64)
    webhook_attempts: int = Field(default=5, ge=1, le=50)
    webhook_base_delay_s: float = Field(default=1.0, ge=0)
    webhook_max_delay_s: float = Field(default=300.0, ge=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    store_threads: int = Field(default=4, ge=1, le=64)
    lease_s: float = Field(default=10.0, ge=1, le=3600)

    clamd_socket: Path = Path(".cluster/clamav/clamd.sock")
    clamd_host: str | None = Field(default=None, min_length=1)
    clamd_port: int = Field(default=3310, ge=1, le=65535)
    scan_timeout_s: float = Field(default=30.0, gt=0)
    scan_max_bytes: int = Field(default=104_857_600, ge=1)

    @field_validator("clamd_socket")
    @classmethod
    def _absolute_socket(cls, path: Path) -> Path:
        """A relative socket path is relative to the project, never to the working directory."""
        return path if path.is_absolute() else PROJECT_ROOT / path

    @property
    def pool_size(self) -> int:
        """The number of image worker processes to start."""
        if self.process_workers is not None:
            return self.process_workers
        return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_PROCESS_WORKERS))

    def webhook_delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
        return float(min(self.webhook_base_delay_s * 2.0 ** (attempt - 1), self.webhook_max_delay_s))
