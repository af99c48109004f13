"""The service's resource limits as settings: one list of names, defaults and environment variables.

Every limit has a working default and can be changed by an environment variable (or, when
the service runs on its own, a command-line flag; in the app, the same variable in ``.env``):

====================  ===========================  =======  =====================================
setting               variable                     default  when it is hit
====================  ===========================  =======  =====================================
``max_upload_bytes``  ``MAX_UPLOAD_BYTES``         25 MiB   413, the upload is refused
``max_pixels``        ``MAX_PIXELS``               100 Mpx  413, the image is refused unread
``max_frames``        ``MAX_FRAMES``               1000     413, the image is refused unread
``task_timeout_s``    ``WORKFLOW_TASK_TIMEOUT_S``  60 s     the task fails: "timed out after N s"
``job_timeout_s``     ``WORKFLOW_JOB_TIMEOUT_S``   90 s     the job fails: "job timed out after N s"
``queue_size``        ``WORKFLOW_QUEUE_SIZE``      1000     429 "job queue is full, retry later"
====================  ===========================  =======  =====================================

:meth:`ServiceLimits.config_values` and :meth:`ServiceLimits.workflow_values` hand them to
:class:`~dashboard.local_filestack.config.service.ServiceConfig` and
:class:`~dashboard.local_filestack.config.workflows.WorkflowSettings`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dashboard.local_filestack.imaging import Limits

MIB = 1024 * 1024

#: Setting name -> environment variable.
LIMIT_ENV: dict[str, str] = {
    "max_upload_bytes": "MAX_UPLOAD_BYTES",
    "max_pixels": "MAX_PIXELS",
    "max_frames": "MAX_FRAMES",
    "task_timeout_s": "WORKFLOW_TASK_TIMEOUT_S",
    "job_timeout_s": "WORKFLOW_JOB_TIMEOUT_S",
    "queue_size": "WORKFLOW_QUEUE_SIZE",
}


class LimitsError(ValueError):
    """A limit set to a value the service cannot run with; the message names the variable."""


class ServiceLimits(BaseModel):
    """Every resource limit of the service, with its default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: Largest upload (simple, form, multipart or fetched from a URL), in bytes.
    max_upload_bytes: int = Field(default=25 * MIB, gt=0)
    #: Largest image, in pixels, read from the header before anything is decoded.
    max_pixels: int = Field(default=Limits.max_pixels, gt=0)
    #: Most frames an animated image may declare.
    max_frames: int = Field(default=Limits.max_frames, gt=0)
    #: Seconds one workflow task may run.
    task_timeout_s: float = Field(default=60.0, gt=0)
    #: Seconds one workflow job may run, all its tasks together.
    job_timeout_s: float = Field(default=90.0, gt=0)
    #: Jobs that may wait for a runner; one more is refused with 429.
    queue_size: int = Field(default=1000, ge=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ServiceLimits:
        """The limits from the environment; ``overrides`` that are not ``None`` win."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {
            name: env[variable] for name, variable in LIMIT_ENV.items() if env.get(variable, "").strip()
        }
        values.update({name: value for name, value in overrides.items() if value is not None})
        try:
            return cls(**values)
        except ValidationError as exc:
            problem = exc.errors()[0]
            name = str(problem["loc"][0]) if problem.get("loc") else "limits"
            raise LimitsError(f"{LIMIT_ENV.get(name, name)}: {problem['msg']}") from exc

    @property
    def image_limits(self) -> Limits:
        """The caps the imaging pipeline checks from each image's header."""
        return Limits(max_pixels=self.max_pixels, max_frames=self.max_frames)

    def config_values(self) -> dict[str, Any]:
        """The fields of ``ServiceConfig`` these limits set."""
        return {"max_upload_bytes": self.max_upload_bytes, "limits": self.image_limits}

    def workflow_values(self) -> dict[str, Any]:
        """The fields of ``WorkflowSettings`` these limits set."""
        return {
            "task_timeout_s": self.task_timeout_s,
            "job_timeout_s": self.job_timeout_s,
            "queue_size": self.queue_size,
        }
