"""CropState: the crop dialog, open on one slot's chosen photo until it is saved or cancelled.

The photo itself and the frame stay in the browser (``dashboard/components/photo_picker.js``) until the
person saves; this state only says which slot the dialog is for, what it shows and what
to warn about. It can also be opened on a photo already stored (:meth:`CropState.frame_stored`):
it then shows an image URL, the CDN's JPEG of that file.
"""

from __future__ import annotations

import dataclasses
import json

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
        if slot not in (Slot.AVATAR.value, Slot.COVER.value):
            return
        if info.get("none"):
            return None
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
        except photo_jobs.UnreadablePhoto as err:
            slot_state._reject(f"{err} Your previous photo is kept." if slot_state._saved_url else str(err))
            yield rx.toast.error(slot_state.message)
            return
        except (RejectedPhoto, photo_jobs.UploadLimitReached) as err:
            slot_state._reject(str(err))
            yield rx.toast.error(str(err))
            return
        except FilestackError as err:
            slot_state._reject(f"Upload failed: {err}")
            yield rx.toast.error(slot_state.message)
            return
        slot_state.progress = 0
        slot_state._move(SlotEvent.LOADED, "Frame the photo, then save it.")
        await self.frame_stored(pending)

    async def frame_stored(self, pending: PendingPhoto) -> None:
        """Open the dialog on a photo already stored under the owner's folder (one sent first because
        this browser cannot show it, or one stored from a link): the dialog shows the CDN's JPEG of
        it, Save cuts the frame from it and starts the slot's job, Cancel deletes it."""
        await self._drop_pending()
        self._pending, self.pending = json.dumps(dataclasses.asdict(pending)), True
        width, height = pending.view_size
        self._show(
            pending.slot, photo_framing_jobs.framing_view_url(pending), width, height, pending.filename
        )

    @rx.event
    async def save_pending(self, shown: dict):
        """Save pressed on a stored photo. ``shown`` is ``photoPicker.shownPreview``'s answer: the
        browser's framed copy (shown in the slot at once, as ``PhotoSlot.show_local`` takes it) and
        the frame; the server then cuts the frame from the stored file and starts the slot's job."""
        pending = self._take_pending()
        self.is_open = False
        if pending is None:
            return
        shown = shown if isinstance(shown, dict) else {}
        slot_state = await self._slot_state(pending.slot)
        slot_state.show_local(shown)  # type: ignore[operator]  # an event handler, called directly
        yield
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        try:
            framing = parse_framing(str(shown.get("framing") or ""))
            job = await photo_framing_jobs.adopt(account.account_id, pending, framing)
        except (FramingRejected, FilestackError) as err:
            await photo_framing_jobs.discard(pending)
            slot_state._reject(f"The photo could not be framed: {err}")
            yield rx.toast.error(slot_state.message)
            return
        slot_state._handled_pick = max(slot_state._handled_pick, int(shown.get("pick") or 0))
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
