"""Which workflows a newly stored file starts: triggers and their constraints (pure).

A workflow declaring ``"triggers": [{"event": "upload", "constraints": [...]}]`` runs
on every file that arrives -- simple store, store from a URL, multipart upload, the
CDN's ``store`` task -- whose facts (:class:`FileFacts`) satisfy every constraint of one
of its triggers. Constraints are requirement conditions
(:mod:`~dashboard.local_filestack.workflows.model.conditions`) walked over the facts, so
``{"type": "includes", "value": "image/", "path": ["mimetype"]}`` tests the type.

The job a trigger starts records it as a :class:`JobTrigger`: the event, how the file
arrived, the file's facts and the constraints that held.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.workflows.model.conditions import evaluate
from dashboard.local_filestack.workflows.model.workflow import Condition, Trigger, TriggerEvent, Workflow


class Arrival(str, Enum):
    """How a file came in."""

    STORE = "store"
    """``POST /api/store/{location}`` with the bytes (the File API's simple store)."""
    URL = "url"
    """``POST /api/store/{location}`` with ``url=`` (stored from a URL)."""
    MULTIPART = "multipart"
    """``/multipart/complete`` of the Upload API."""
    CDN_STORE = "cdn_store"
    """The CDN's ``store`` task (a processed or fetched file stored)."""


class FileFacts(BaseModel):
    """What constraints can test of a new file (the first element of a constraint's path)."""

    model_config = ConfigDict(frozen=True)

    handle: str = Field(exclude=True)
    mimetype: str
    size: int
    width: int | None = None
    height: int | None = None
    filename: str = ""
    path: str = ""


class JobTrigger(BaseModel):
    """What started a job by itself: ``event`` on a file that arrived by ``arrival``.

    ``trigger`` is the position of the workflow's trigger that matched, ``constraints``
    its constraints (all held on ``file``). A job started by name at upload time
    (``store.workflows``) has ``trigger`` ``None`` and no constraints.
    """

    model_config = ConfigDict(frozen=True)

    event: TriggerEvent = "upload"
    arrival: Arrival
    handle: str
    file: dict[str, Any]
    trigger: int | None = None
    constraints: list[Condition] = Field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The record as the jobs API shows it."""
        return self.model_dump(mode="json", exclude_none=True)


def constraints_hold(constraints: Sequence[Condition], facts: FileFacts) -> bool:
    """Whether every constraint holds on the file's facts."""
    document = facts.model_dump()
    return all(evaluate(condition, {"data": document}, "file").holds for condition in constraints)


def matching_trigger(workflow: Workflow, event: TriggerEvent, facts: FileFacts) -> tuple[int, Trigger] | None:
    """The first trigger of ``workflow`` for ``event`` whose constraints all hold, with its position."""
    for position, trigger in enumerate(workflow.triggers):
        if trigger.event == event and constraints_hold(trigger.constraints, facts):
            return position, trigger
    return None


def trigger_record(arrival: Arrival, facts: FileFacts, matched: tuple[int, Trigger] | None) -> JobTrigger:
    """The record a started job keeps of why it started."""
    position, trigger = matched if matched is not None else (None, None)
    return JobTrigger(
        arrival=arrival,
        handle=facts.handle,
        file=facts.model_dump(),
        trigger=position,
        constraints=list(trigger.constraints) if trigger is not None else [],
    )
