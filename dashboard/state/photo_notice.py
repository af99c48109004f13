"""InterruptedUploadState: after leaving the page while a photo was being sent, say so on return.

The browser notes it itself (``sessionStorage``, key ``photo_upload_interrupted``, written by the
"leave the page?" guard when the page is left while a file is sent; see
``components/photo_controls.py``): nothing of the lost upload ever reached the server.
"""

from __future__ import annotations

import reflex as rx

#: The ``sessionStorage`` key the leave guard writes (the slot whose upload was lost).
INTERRUPTED_KEY = "photo_upload_interrupted"


class InterruptedUploadState(rx.State):
    """The notice "your upload was stopped when you left the page"."""

    interrupted: str = rx.SessionStorage("", name=INTERRUPTED_KEY)

    @rx.var
    def interrupted_text(self) -> str:
        """What the notice says (empty: no notice)."""
        if not self.interrupted:
            return ""
        what = "cover photo" if self.interrupted == "cover" else "profile picture"
        return f"The {what} you were uploading was not saved: the page was left before it arrived. Choose it again."

    @rx.event
    def dismiss(self):
        """Close the notice."""
        self.interrupted = ""
