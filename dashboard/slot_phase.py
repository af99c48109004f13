"""What a photo slot on the page is doing, and the one function that moves it on (pure, no I/O).

``REJECTED`` (the page refused a file: nothing was uploaded, nothing to retry) is kept
apart from ``FAILED`` (an uploaded photo's processing failed: the original is kept and
can be processed again).
"""

from __future__ import annotations

import enum


class SlotPhase(enum.StrEnum):
    """The phase a slot shows."""

    IDLE = "idle"
    UPLOADING = "uploading"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"
    FETCHING = "fetching"

    @property
    def busy(self) -> bool:
        """A file is on its way or being processed."""
        return self in (SlotPhase.UPLOADING, SlotPhase.FETCHING, SlotPhase.PROCESSING)


class SlotEvent(enum.StrEnum):
    """What happened to a slot."""

    LOADED = "loaded"  # the page (re)loaded the slot with nothing in progress
    PROGRESS = "progress"  # the browser reports upload progress
    PROCESSING = "processing"  # the photo is stored and its workflow runs (or runs again)
    FINISHED = "finished"  # the final file is saved
    FAILED = "failed"  # the upload or its processing failed; the previous photo stays
    REJECTED = "rejected"  # the file was refused before anything was uploaded
    FETCHING = "fetching"  # the file service is taking the photo from a link
    REMOVED = "removed"  # the photo was removed: the placeholder shows (undo is offered)
    UNDONE = "undone"  # undo put the previous photo (or the placeholder) back
    CANCELLED = "cancelled"  # the person cancelled the upload running in the browser
    SENDING = "sending"  # the browser sends a newly chosen file (progress below 100%), whatever ran before


_TARGET: dict[SlotEvent, SlotPhase] = {
    SlotEvent.LOADED: SlotPhase.IDLE,
    SlotEvent.PROGRESS: SlotPhase.UPLOADING,
    SlotEvent.PROCESSING: SlotPhase.PROCESSING,
    SlotEvent.FINISHED: SlotPhase.DONE,
    SlotEvent.FAILED: SlotPhase.FAILED,
    SlotEvent.REJECTED: SlotPhase.REJECTED,
    SlotEvent.FETCHING: SlotPhase.FETCHING,
    SlotEvent.CANCELLED: SlotPhase.IDLE,
    SlotEvent.SENDING: SlotPhase.UPLOADING,
    SlotEvent.REMOVED: SlotPhase.IDLE,
    SlotEvent.UNDONE: SlotPhase.IDLE,
}


def advance(phase: SlotPhase | str, event: SlotEvent) -> SlotPhase:
    """The phase after ``event``.

    Upload progress reported late (after the file was stored) does not move a slot back
    from processing; a job's end (finished or failed) is shown whatever came before.
    """
    current = SlotPhase(phase)
    if event is SlotEvent.PROGRESS and current is SlotPhase.PROCESSING:
        return current
    return _TARGET[event]
