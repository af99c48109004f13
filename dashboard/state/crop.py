"""CropState: the crop dialog, open on one slot's chosen photo until it is saved or cancelled.

The photo itself and the frame stay in the browser (``dashboard/components/photo_picker.js``) until the
person saves; this state only says which slot the dialog is for, what it shows and what
to warn about. It can be opened on any image URL the browser can show.
"""

from __future__ import annotations

import reflex as rx

from dashboard.models import Slot
from dashboard.photo_framing import too_small
from dashboard.state.session import SessionState


class CropState(SessionState):
    """Which slot the crop dialog frames a photo for, and the photo it shows."""

    is_open: bool = False
    #: ``avatar`` or ``cover``.
    slot: str = Slot.AVATAR.value
    #: What the dialog shows: the browser's copy of the chosen file (an object URL) or any image URL.
    src: str = ""
    #: The shown image's size, upright.
    width: int = 0
    height: int = 0
    name: str = ""
    #: Said before saving when the photo has fewer pixels than the slot saves.
    warning: str = ""

    @rx.var
    def is_cover(self) -> bool:
        """The cover's frame is 3:1 and square-cornered; the avatar's 1:1 and round."""
        return self.slot == Slot.COVER.value

    @rx.var
    def title(self) -> str:
        """The dialog's heading."""
        return "Frame your cover photo" if self.is_cover else "Frame your profile picture"

    def _show(self, slot: str, src: str, width: int, height: int, name: str) -> None:
        self.slot = Slot(slot).value
        self.src, self.width, self.height, self.name = src, width, height, name or "photo"
        self.warning = too_small(self.slot, width, height) if width and height else ""
        self.is_open = True

    @rx.event
    def open_picked(self, info: dict):
        """A photo was chosen for a slot (``photoPicker.choose``'s answer): frame it."""
        slot = str((info or {}).get("slot") or "")
        if slot not in (Slot.AVATAR.value, Slot.COVER.value):
            return
        if not info.get("src"):
            # Not something this browser can show (HEIC in Chromium, or not an image): send it as
            # it is; the server checks it and, unframed, the photo is aligned on faces.
            return rx.call_script(f"document.getElementById('{slot}-send-unframed').click()")
        self._show(
            slot,
            str(info["src"]),
            int(info.get("width") or 0),
            int(info.get("height") or 0),
            str(info.get("name") or ""),
        )

    @rx.event
    def open_url(self, slot: str, url: str, width: int, height: int, name: str = ""):
        """Frame an image the browser can load from ``url`` (of ``width`` × ``height`` pixels, upright)."""
        self._show(slot, url, int(width), int(height), name)

    @rx.event
    def close(self):
        """The photo was saved: the dialog goes; the photo stays in the browser for the upload."""
        self.is_open = False

    @rx.event
    def cancel(self):
        """Cancelled (Esc, the button, a click outside): nothing is sent, the slot keeps its photo."""
        was_open, self.is_open = self.is_open, False
        if was_open:
            return rx.call_script(f"window.photoPicker && window.photoPicker.forget({self.slot!r})")

    @rx.event
    def set_open(self, value: bool):
        """Radix's ``on_open_change``: closing is cancelling."""
        if not value:
            return CropState.cancel
