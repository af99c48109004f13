"""CameraState: the camera dialog, open for one slot while a photo is taken."""

from __future__ import annotations

import reflex as rx

from dashboard.models import Slot
from dashboard.state.session import SessionState


class CameraState(SessionState):
    """Which slot the camera takes a photo for. The picture itself stays in the browser."""

    is_open: bool = False
    slot: str = Slot.AVATAR.value

    @rx.event
    def open_for(self, slot: str):
        """Open the camera for ``avatar`` or ``cover``."""
        self.slot = Slot(slot).value
        self.is_open = True

    @rx.event
    def close(self):
        """The photo was used, or the camera was closed: the dialog goes."""
        self.is_open = False

    @rx.event
    def set_open(self, value: bool):
        """Radix's ``on_open_change`` (Esc, a click outside)."""
        self.is_open = bool(value)
