"""Framing a photo the browser cannot show (HEIC in Chromium): upload first, frame on the server's copy.

The file is stored as it is under the owner's folder; the crop dialog then shows a JPEG
rendition of it from the CDN (:func:`framing_view_url`). Saving cuts the chosen frame from
the stored file (:func:`adopt`, then the usual job); cancelling deletes it (:func:`discard`).
No UI here: state handlers call these and show what they return.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from PIL import Image

from dashboard import connection, photo_jobs
from dashboard.filestack import Transformation
from dashboard.models import PhotoJob, Slot
from dashboard.photo_checks import check_photo
from dashboard.photo_framing import Framing, upright_size
from dashboard.photo_messages import describe_failure
from dashboard.settings import Settings, get_settings

#: The long side of the rendition the crop dialog shows.
VIEW_SIDE = 2048


@dataclass(frozen=True)
class PendingPhoto:
    """A stored upload waiting to be framed."""

    slot: Slot
    handle: str
    filename: str
    mimetype: str
    #: The stored file's size, upright (after EXIF orientation).
    width: int
    height: int

    @property
    def view_size(self) -> tuple[int, int]:
        """The size of the rendition the dialog shows (the long side at most :data:`VIEW_SIDE`)."""
        scale = min(1.0, VIEW_SIDE / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))


def framing_view_url(pending: PendingPhoto, settings: Settings | None = None) -> str:
    """A JPEG the browser can show of the pending upload, upright, at :attr:`PendingPhoto.view_size`."""
    width, height = pending.view_size
    chain = (
        Transformation()
        .rotate("exif")
        .resize(width=width, height=height, fit="scale")
        .output(format="jpg", quality=90)
    )
    return photo_jobs.photo_url(pending.handle, settings, chain)


async def upload_for_framing(
    owner_id: int, slot: str, data: bytes, filename: str, settings: Settings | None = None
) -> PendingPhoto:
    """Check and store the file as it is, under the owner's folder, to be framed next.

    Raises what :func:`photo_jobs.upload` raises for a file the page does not take.
    """
    settings = settings or get_settings()
    await asyncio.to_thread(photo_jobs.check_upload_rate, owner_id, settings)
    mimetype = check_photo(data, filename, settings.max_upload_bytes, max_pixels=settings.max_pixels)
    width, height = upright_size(data)
    await asyncio.to_thread(_decodes, data)
    async with connection.open_client(settings) as fs:
        stored = await fs.upload(
            data, filename=filename, mimetype=mimetype, path=photo_jobs.storage_path(owner_id, slot)
        )
    return PendingPhoto(Slot(slot), stored.handle, filename, mimetype, width, height)


def _decodes(data: bytes) -> None:
    """Raise :class:`~dashboard.photo_jobs.UnreadablePhoto` unless every pixel of the photo decodes."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError) as err:
        raise photo_jobs.UnreadablePhoto(describe_failure("corrupt").text) from err


async def adopt(
    owner_id: int, pending: PendingPhoto, framing: Framing | None, settings: Settings | None = None
) -> PhotoJob:
    """Cut the frame out of the pending upload (a JPEG), record the job; the upload is deleted."""
    settings = settings or get_settings()
    async with connection.open_client(settings) as fs:
        stored = await photo_jobs.store_cut(
            fs,
            pending.handle,
            framing,
            pending.mimetype,
            (pending.width, pending.height),
            photo_jobs.storage_path(owner_id, pending.slot),
        )
    return await photo_jobs.record_job(owner_id, pending.slot, stored.handle, pending.filename, settings)


async def discard(pending: PendingPhoto, settings: Settings | None = None) -> None:
    """The person cancelled: the pending upload is deleted (a failure is logged, never raised)."""
    async with connection.open_client(settings or get_settings()) as fs:
        await photo_jobs.forget(fs, pending.handle)
