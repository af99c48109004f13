"""What the jobs console shows of the files held in quarantine: rows of plain values. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.filestack import QuarantinedFile
from dashboard.job_views import when
from dashboard.photo_checks import human_size


@dataclass
class HeldRow:
    """One held file: what it is, why it is held, since when, and the job that held it."""

    handle: str
    name: str
    reason: str
    since: str
    job: str


def held_row(held: QuarantinedFile) -> HeldRow:
    """The console's row of a held file (a file whose record is gone shows its handle alone)."""
    parts = [held.filename or "", held.mimetype or "", human_size(held.size) if held.size is not None else ""]
    return HeldRow(
        handle=held.handle,
        name=" · ".join(part for part in parts if part) or "(file record gone)",
        reason=held.reason,
        since=when(held.quarantined_at),
        job=held.job or "",
    )
