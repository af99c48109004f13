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
