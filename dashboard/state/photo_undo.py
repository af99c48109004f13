"""PhotoUndoState: the toast offering Undo after a photo is saved or removed, for the undo window.

One toast per page: the newest change of either slot. Undo asks :mod:`dashboard.photo_undo`
to take that change back (which succeeds only inside the window and only if the slot still
shows what the change put there) and shows the result in the slot. The window itself is
kept by the server's rows; the toast only disappears when it ends.
"""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from dashboard import photo_undo
from dashboard.models import Slot
from dashboard.settings import get_settings
from dashboard.state.activity import ActivityState
from dashboard.state.session import SessionState

log = logging.getLogger(__name__)


class PhotoUndoState(SessionState):
    """The Undo toast (``#undo-toast``, button ``#undo-button``)."""

    #: What changed ("Profile picture saved."); empty: no toast.
    undo_text: str = ""
    #: The slot whose change Undo takes back.
    undo_slot: str = ""
    #: Which offer the toast shows, so an older offer's timer never hides a newer one (backend only).
    _offer: int = 0

    @rx.event
    def offer(self, slot: str, text: str):
        """Show the toast for the slot's newest change; it hides itself when the window ends."""
        self._offer += 1
        self.undo_slot, self.undo_text = str(Slot(slot)), text
        return PhotoUndoState.expire(self._offer)

    @rx.event(background=True)
    async def expire(self, offer: int):
        """Hide the toast when the undo window has passed (unless a newer offer replaced it)."""
        await asyncio.sleep(get_settings().photo_undo_window_s)
        async with self:
            if self._offer == offer:
                self.undo_text = self.undo_slot = ""

    @rx.event
    def dismiss(self):
        """Close the toast (the change stays; its old photo is deleted when the window ends)."""
        self._offer += 1
        self.undo_text = self.undo_slot = ""

    @rx.event
    async def undo(self):
        """Take the slot's newest change back, if it is still inside its window."""
        from dashboard.state.photo import slot_state_class  # the slots offer undo: imported late

        account = await self._account()
        slot = self.undo_slot
        self._offer += 1
        self.undo_text = self.undo_slot = ""
        if account is None:
            yield self._to_login()
            return
        if not slot:
            return
        row = await photo_undo.undo(account.account_id, slot)
        if row is None:
            yield rx.toast.error("Too late to undo: the change is final now.")
            return
        slot_state = await self.get_state(slot_state_class(slot))
        slot_state.show_undone(photo_undo.shown_url(row))
        yield ActivityState.refresh
