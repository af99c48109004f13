"""QuarantineState: the jobs console's panel of files held in quarantine, through the REST API.

Admins see every held file (``GET /quarantine``) with why and since when it is held and the
job that held it; they release one (``POST /quarantine/{handle}/release``: the CDN serves it
again) or delete one (``DELETE /quarantine/{handle}``) after confirming.
"""

from __future__ import annotations

import reflex as rx

from dashboard import connection
from dashboard.filestack import FilestackError, FilestackNotFound
from dashboard.quarantine_views import HeldRow, held_row
from dashboard.state.studio import StudioState, studio_event


class QuarantineState(StudioState):
    """The quarantine panel of ``/jobs``."""

    held: list[HeldRow] = []
    held_error: str = ""
    held_notice: str = ""
    #: The handle whose deletion waits for a confirmation ("" for none).
    confirm_delete: str = ""

    async def _reload(self) -> None:
        try:
            async with connection.open_client() as fs:
                files = await fs.workflows_api.list_quarantine()
        except FilestackError as err:
            self.held, self.held_error = [], f"The quarantine could not be read: {err}"
            return
        self.held, self.held_error = [held_row(held) for held in files], ""

    @rx.event
    @studio_event
    async def load_quarantine(self):
        """``on_load`` and the panel's refresh: the held files, newest first."""
        self.held_notice, self.confirm_delete = "", ""
        await self._reload()

    @rx.event
    @studio_event
    async def release(self, handle: str):
        """Release a held file: it is public again."""
        self.confirm_delete = ""
        try:
            async with connection.open_client() as fs:
                await fs.workflows_api.release_file(handle)
        except FilestackNotFound:
            self.held_notice = f"{handle} was not in quarantine any more."
        except FilestackError as err:
            self.held_error = f"{handle} could not be released: {err}"
            return
        else:
            self.held_notice = f"Released {handle}: it is served again."
        await self._reload()

    @rx.event
    @studio_event
    def ask_delete(self, handle: str):
        """Ask before deleting a held file."""
        self.confirm_delete, self.held_notice = handle, ""

    @rx.event
    @studio_event
    def keep(self):
        """Do not delete after all."""
        self.confirm_delete = ""

    @rx.event
    @studio_event
    async def delete_confirmed(self):
        """Delete the file whose deletion was confirmed (its bytes, record and hold)."""
        handle, self.confirm_delete = self.confirm_delete, ""
        if not handle:
            return
        try:
            async with connection.open_client() as fs:
                await fs.workflows_api.delete_quarantined(handle)
        except FilestackNotFound:
            self.held_notice = f"{handle} was not in quarantine any more."
        except FilestackError as err:
            self.held_error = f"{handle} could not be deleted: {err}"
            return
        else:
            self.held_notice = f"Deleted {handle}."
        await self._reload()
