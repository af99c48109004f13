"""CropState: the crop dialog, open on one slot's chosen photo until it is saved or cancelled.

The photo itself and the frame stay in the browser (``dashboard/components/photo_picker.js``) until the
person saves; this state only says which slot the dialog is for, what it shows and what
to warn about. It can be opened on any image URL the browser can show.
"""

from __future__ import annotations

import dataclasses
import json
import logging

import reflex as rx

from dashboard import photo_framing_jobs, photo_jobs
from dashboard.filestack import FilestackError
from dashboard.models import Slot
from dashboard.photo_checks import RejectedPhoto
from dashboard.photo_framing import FramingRejected, parse_framing, too_small
from dashboard.photo_framing_jobs import PendingPhoto
from dashboard.settings import get_settings
from dashboard.slot_phase import SlotEvent
from dashboard.state.photo import AvatarState, CoverState, PhotoSlot
from dashboard.state.session import SessionState

log = logging.getLogger(__name__)

SERVICE_DOWN = "The photo could not be uploaded: the photo service did not answer. Try again."


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
    #: The dialog frames a photo already stored (one this browser cannot show): saving cuts it on the server.
    pending: bool = False
    #: That stored upload (``PendingPhoto`` fields as JSON; backend only).
    _pending: str = ""

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

    async def _slot_state(self, slot: str) -> PhotoSlot:
        return await self.get_state(CoverState if slot == Slot.COVER.value else AvatarState)

    @rx.event
    def open_picked(self, info: dict):
        """A photo was chosen for a slot (``photoPicker.choose``'s answer): frame it."""
        slot = str((info or {}).get("slot") or "")
        if slot not in (Slot.AVATAR.value, Slot.COVER.value) or not info.get("name"):
            # No file was accepted (the drop was refused: ``on_drop_rejected`` says why).
            return
        if not info.get("src"):
            # Not something this browser can show (HEIC in Chromium, or not an image): it is sent
            # first; the server checks it, and the dialog frames the server's JPEG of it.
            return rx.call_script(f"document.getElementById('{slot}-send-to-frame').click()")
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
        if slot in (Slot.AVATAR.value, Slot.COVER.value) and isinstance(url, str):
            self._show(slot, url, int(width), int(height), name)

    @rx.event
    async def upload_to_frame(self, files: list[rx.UploadFile], slot: str):
        """Store a photo this browser cannot show, then open the dialog on the server's JPEG of it."""
        if slot not in (Slot.AVATAR.value, Slot.COVER.value):
            return
        slot_state = await self._slot_state(slot)
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        if not files:
            return
        upload = files[0]
        filename = upload.name or "photo"
        try:
            pending = await photo_framing_jobs.upload_for_framing(
                account.account_id, slot, await upload.read(), filename
            )
        except (RejectedPhoto, photo_jobs.UploadLimitReached) as err:
            slot_state._reject(str(err))
            yield rx.toast.error(str(err))
            return
        except FilestackError as err:
            log.warning("upload to frame for slot %s failed: %s", slot, err)
            slot_state._reject(SERVICE_DOWN)
            yield rx.toast.error(slot_state.message)
            return
        await self._drop_pending()
        slot_state.progress = 0
        slot_state._move(SlotEvent.LOADED, "Frame the photo, then save it.")
        self._pending, self.pending = json.dumps(dataclasses.asdict(pending)), True
        width, height = pending.view_size
        self._show(slot, photo_framing_jobs.framing_view_url(pending), width, height, filename)

    @rx.event
    async def save_pending(self, framing: str):
        """Save the frame of the stored photo: cut it on the server and start the slot's job."""
        pending = self._take_pending()
        self.is_open = False
        if pending is None:
            return
        slot_state = await self._slot_state(pending.slot)
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        try:
            job = await photo_framing_jobs.adopt(account.account_id, pending, parse_framing(framing))
        except RejectedPhoto as err:
            slot_state._reject(str(err))
            yield rx.toast.error(slot_state.message)
            return
        except (FramingRejected, FilestackError) as err:
            await photo_framing_jobs.discard(pending)
            if isinstance(err, FilestackError):
                log.warning("framing a stored photo for slot %s failed: %s", pending.slot, err)
            slot_state._reject(
                SERVICE_DOWN if isinstance(err, FilestackError) else f"The photo could not be framed: {err}"
            )
            yield rx.toast.error(slot_state.message)
            return
        async for event in slot_state._started(job):
            yield event

    def _take_pending(self) -> PendingPhoto | None:
        text, self._pending, self.pending = self._pending, "", False
        if not text:
            return None
        fields = json.loads(text)
        return PendingPhoto(**{**fields, "slot": Slot(fields["slot"])})

    async def _drop_pending(self) -> None:
        pending = self._take_pending()
        if pending is not None:
            await photo_framing_jobs.discard(pending, get_settings())

    @rx.event
    def close(self):
        """The photo was saved: the dialog goes; the photo stays in the browser for the upload."""
        self.is_open = False

    @rx.event
    async def cancel(self):
        """Cancelled (Esc, the button, a click outside): nothing is kept, the slot keeps its photo."""
        was_open, self.is_open = self.is_open, False
        await self._drop_pending()
        if was_open:
            return rx.call_script(f"window.photoPicker && window.photoPicker.forget({self.slot!r})")

    @rx.event
    def set_open(self, value: bool):
        """Radix's ``on_open_change``: closing is cancelling."""
        if not value and self.is_open:
            return CropState.cancel
