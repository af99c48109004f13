"""A photo taken from a link: stored by the file service from the URL, checked, then processed like an upload.

The server never fetches the link itself: it asks the file service to store the file at the
URL (Filestack's store-from-URL call, :meth:`FilestackClient.upload_url`), under the owner's
path. The embedded service fetches it behind its SSRF guard (private, loopback and link-local
addresses refused unless ``FETCH_ALLOWED_HOSTS`` names the host) within the upload size cap.
The stored file is then checked like a dropped one (:func:`~dashboard.photo_checks.check_photo`);
a file that is not a usable photo is deleted again and nothing is recorded.

Every refusal is a :class:`LinkRefused` whose message is for the person, in plain words.
"""

from __future__ import annotations

import asyncio
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from dashboard import connection, photo_jobs, profile_store
from dashboard.filestack import FilestackError
from dashboard.filestack.errors import FilestackConnectionError, FilestackHTTPError, FilestackTimeout
from dashboard.models import PhotoJob
from dashboard.photo_checks import RejectedPhoto, check_photo, human_size
from dashboard.settings import Settings, get_settings

#: Longest link accepted (browsers and servers commonly stop near here).
MAX_LINK_LENGTH = 2048


class LinkRefused(ValueError):
    """A link that gives no photo; the message says why, for the person."""


def check_link(text: str) -> str:
    """The link, trimmed, if it can be asked for at all; else :class:`LinkRefused` (pure, no I/O)."""
    link = (text or "").strip()
    if not link:
        raise LinkRefused("Paste the link of a photo first.")
    if len(link) > MAX_LINK_LENGTH:
        raise LinkRefused(f"That link is longer than {MAX_LINK_LENGTH} characters.")
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LinkRefused("That is not a web link: it should start with http:// or https://.")
    return link


def link_filename(link: str) -> str:
    """The name the stored file gets: the link's last path segment, or a plain description."""
    return PurePosixPath(unquote(urlsplit(link).path)).name or "photo from a link"


def refusal_for(err: FilestackError, max_bytes: int) -> LinkRefused:
    """What the person is told when the file service could not store the link's file."""
    if isinstance(err, FilestackHTTPError):
        if err.status == 413:
            return LinkRefused(
                f"The file at that link is larger than {human_size(max_bytes)}, the most we take."
            )
        if err.status == 403 and "polic" not in err.message.lower():
            return LinkRefused(
                "That address is not allowed: photos can only be taken from public web sites, "
                "not from private or local addresses."
            )
        if err.status in (502, 504):
            return LinkRefused(
                "That link could not be reached: the site did not answer or answered with an error. "
                "Check the link and try again."
            )
        if err.status == 400:
            return LinkRefused("That link cannot be used. Check it and try again.")
    if isinstance(err, (FilestackConnectionError, FilestackTimeout)):
        return LinkRefused("The photo service did not answer. Try again in a moment.")
    return LinkRefused("The photo could not be taken from that link. Try again, or upload it instead.")


async def store_from_link(owner_id: int, slot: str, link: str, settings: Settings | None = None) -> PhotoJob:
    """Store the photo at ``link`` under the owner's path and record its job (with its preview URL).

    Raises :class:`LinkRefused` (nothing kept, nothing recorded) or
    :class:`~dashboard.photo_jobs.UploadLimitReached`.
    """
    settings = settings or get_settings()
    spec = photo_jobs.slot_spec(slot, settings)
    link = check_link(link)
    await asyncio.to_thread(photo_jobs.check_upload_rate, owner_id, settings)
    filename = link_filename(link)
    async with connection.open_client(settings) as fs:
        try:
            stored = await fs.upload_url(link, path=photo_jobs.storage_path(owner_id, slot))
        except FilestackError as err:
            raise refusal_for(err, settings.max_upload_bytes) from err
        try:
            data = await fs.download(stored.handle)
        except FilestackError as err:
            raise refusal_for(err, settings.max_upload_bytes) from err
    try:
        check_photo(data, filename, settings.max_upload_bytes, max_pixels=settings.max_pixels)
    except RejectedPhoto as err:
        await photo_jobs.delete_files([stored.handle], settings)
        raise LinkRefused(f"The link does not lead to a photo we can use: {err}") from err
    preview = photo_jobs.preview_url(spec.slot, stored.handle, settings)
    return await asyncio.to_thread(
        profile_store.add_job, owner_id, spec.slot, stored.handle, filename, preview
    )
