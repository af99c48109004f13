"""Typed rows the pages show (dataclasses serialised to the browser as objects)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TaskRow:
    """One task of a photo's workflow job, as a chip."""

    id: str = ""
    state: str = ""
    reason: str = ""


@dataclass(frozen=True)
class ActivityRow:
    """One photo job in the activity panel."""

    id: int = 0
    slot: str = ""
    slot_label: str = ""
    filename: str = ""
    thumb: str = ""
    workflow: str = ""
    status: str = ""
    status_label: str = ""
    duration: str = ""
    tasks: str = ""
    error: str = ""
    when: str = ""
    can_retry: bool = False
    #: The thumbnail's text alternative (what happened to which photo, and when).
    alt: str = ""
