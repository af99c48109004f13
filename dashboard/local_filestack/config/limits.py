"""The service's resource limits: one list of names, defaults and environment variables.

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
``transform_cache_``  ``TRANSFORM_CACHE_MAX_BYTES``  1 GiB  least recently used results evicted
``storage_quota_``    ``STORAGE_QUOTA_BYTES``      none     507 (413 for one upload over it)
====================  ===========================  =======  =====================================

The first three and the last two are :class:`ServiceLimits`; the workflow ones live with the other workflow
settings (:class:`~dashboard.local_filestack.config.workflows.WorkflowSettings`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import BaseSettings

from dashboard.local_filestack.config.environment import settings_config

MIB = 1024 * 1024


class ImageLimits(BaseModel):
    """Caps checked from an image's header, before any pixel is decoded.

    ``max_pixels`` also bounds every intermediate canvas (an upscaling resize, a
    rotation or a border cannot grow past it). Pillow's own decompression-bomb
    guard (``PIL.Image.MAX_IMAGE_PIXELS``, twice its value is a hard error)
    still applies underneath and is reported as too large too.
    """

    model_config = ConfigDict(frozen=True)

    #: Largest image, in pixels, read from the header before anything is decoded.
    max_pixels: int = Field(default=100_000_000, gt=0)
    #: Most frames an animated image may declare.
    max_frames: int = Field(default=1000, gt=0)


class ServiceLimits(ImageLimits, BaseSettings):
    """The image caps plus the upload cap, read from ``MAX_PIXELS``, ``MAX_FRAMES``, ``MAX_UPLOAD_BYTES``."""

    model_config = settings_config()

    #: Largest upload (simple, form, multipart or fetched from a URL), in bytes.
    max_upload_bytes: int = Field(default=25 * MIB, gt=0)
    #: Most bytes the transform cache keeps on disk; past it the least recently used results go.
    transform_cache_max_bytes: int = Field(default=1024 * MIB, gt=0)
    #: Most bytes of files stored under one API key (``None``: no quota). A store that would pass it
    #: is refused with 507, or 413 when the one file alone is larger than the quota.
    storage_quota_bytes: int | None = Field(default=None, gt=0)

    @property
    def image(self) -> ImageLimits:
        """Only the caps the imaging pipeline checks."""
        return ImageLimits(max_pixels=self.max_pixels, max_frames=self.max_frames)


class RateLimits(BaseSettings):
    """Calls one API key may make per window (a moving window); 0 turns a limit off.

    Past a limit the call is answered 429 with ``Retry-After``. The app uses one key for everyone,
    so these cap the whole installation; each person's uploads have their own, smaller limit
    (``UPLOAD_RATE_LIMIT``, in the app's settings).
    """

    model_config = settings_config(env_prefix="key_")

    #: The window, in seconds (``KEY_RATE_WINDOW_S``).
    rate_window_s: float = Field(default=60.0, gt=0)
    #: Upload API uploads (``start``) per window (``KEY_UPLOAD_RATE_LIMIT``).
    upload_rate_limit: int = Field(default=1200, ge=0)
    #: File API stores and CDN ``store`` tasks per window (``KEY_STORE_RATE_LIMIT``).
    store_rate_limit: int = Field(default=1200, ge=0)
    #: ``run_workflow`` calls, REST jobs and replays per window (``KEY_RUN_WORKFLOW_RATE_LIMIT``).
    run_workflow_rate_limit: int = Field(default=1200, ge=0)

    @property
    def window_s(self) -> float:
        return self.rate_window_s

    @property
    def upload(self) -> int:
        return self.upload_rate_limit

    @property
    def store(self) -> int:
        return self.store_rate_limit

    @property
    def run_workflow(self) -> int:
        return self.run_workflow_rate_limit
