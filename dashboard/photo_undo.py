"""Remove a slot's photo, undo a change, and delete the files whose undo window has ended.

No UI here: the page's handlers call :func:`remove` and :func:`undo`; :func:`run_deleter`
is a lifespan task of every app worker. The rows (:mod:`dashboard.replaced_photos`) are the
truth, so deletions due while the app was down happen at its next start, and with several
app workers each due file is claimed, and deleted, by one of them.
"""

from __future__ import annotations

import asyncio
import logging
import time

from sqlalchemy.exc import SQLAlchemyError

from dashboard import photo_jobs, profile_store, replaced_photos
from dashboard.filestack import FilestackError
from dashboard.models import ReplacedPhoto, Slot
from dashboard.settings import Settings, get_settings

log = logging.getLogger(__name__)

#: A deletion the service refused is tried again this much later.
RETRY_AFTER_S = 30.0
#: The deleter looks at least this often (a window may be opened by another app worker).
MAX_SLEEP_S = 1.0


class NothingToRemove(LookupError):
    """The slot shows no photo of its own (already the placeholder)."""


async def remove(owner_id: int, slot: str, settings: Settings | None = None) -> ReplacedPhoto:
    """Return the slot to its placeholder; its photo is kept for the undo window, then deleted."""
    settings = settings or get_settings()
    profile = await asyncio.to_thread(profile_store.find_profile, owner_id)
    if profile is None or not getattr(profile, f"{Slot(slot)}_handle"):
        raise NothingToRemove("There is no photo to remove.")
    return await asyncio.to_thread(
        replaced_photos.replace_photo, owner_id, slot, "", "", settings.photo_undo_window_s
    )


async def undo(owner_id: int, slot: str, settings: Settings | None = None) -> ReplacedPhoto | None:
    """Put back the photo the last change took out, if its window is still open; delete its replacement."""
    row = await asyncio.to_thread(replaced_photos.undo, owner_id, slot)
    if row is not None:
        await delete_due(settings)
    return row


def shown_url(row: ReplacedPhoto, settings: Settings | None = None) -> str:
    """The URL the page shows for the photo ``row`` put back (empty: the placeholder)."""
    return photo_jobs.photo_url(row.handle, settings) if row.handle else ""


async def delete_due(settings: Settings | None = None, now: float | None = None) -> int:
    """Delete every file whose undo window has ended; returns how many rows were settled."""
    settings = settings or get_settings()
    settled = 0
    for row in await asyncio.to_thread(replaced_photos.due, now):
        owner_id, row_id = row.owner_id, row.id or 0
        if not await asyncio.to_thread(replaced_photos.claim_deletion, owner_id, row_id):
            continue  # another app worker has it, or it was undone meanwhile
        settled += 1
        if not row.handle or await asyncio.to_thread(replaced_photos.in_use, owner_id, row.handle):
            continue
        left = await photo_jobs.delete_files([row.handle], settings)
        if left:
            log.warning(
                "replaced photo %s of account %s not deleted yet; trying again later", row.handle, owner_id
            )
            await asyncio.to_thread(replaced_photos.release, owner_id, row_id, time.time() + RETRY_AFTER_S)
    return settled


async def run_deleter(settings: Settings | None = None) -> None:
    """Delete due files for ever (a lifespan task): first what a restart left due, then as windows end."""
    settings = settings or get_settings()
    while True:
        try:
            await delete_due(settings)
            next_due = await asyncio.to_thread(replaced_photos.next_due_at)
        except (SQLAlchemyError, FilestackError, OSError) as err:
            log.warning("deleting replaced photos failed: %s", err)
            next_due = None
        wait = MAX_SLEEP_S if next_due is None else min(MAX_SLEEP_S, max(0.05, next_due - time.time()))
        await asyncio.sleep(wait)
