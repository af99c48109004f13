"""How the jobs console words what started a job: the upload and the trigger that matched. No I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

#: How each arrival path is named on the page.
ARRIVALS = {
    "store": "a file stored",
    "url": "a file stored from a URL",
    "multipart": "a multipart upload",
    "cdn_store": "a file stored by the CDN's store task",
}
_OPERATORS = {"gt": ">", "lt": "<", "equals": "=", "includes": "includes"}


def constraint_text(constraint: Mapping[str, Any]) -> str:
    """``size < 1000``, ``mimetype includes "image/"``."""
    path = ".".join(str(step) for step in constraint.get("path") or []) or "file"
    kind = str(constraint.get("type") or "?")
    return f"{path} {_OPERATORS.get(kind, kind)} {json.dumps(constraint.get('value'), ensure_ascii=False)}"


def started_by(trigger: Mapping[str, Any] | None) -> str:
    """One sentence on what started a job, or ``""`` for a job started by a request.

    ``Started by a multipart upload (handle H), matching trigger 1: mimetype includes "image/"``;
    a workflow named at upload time: ``Started by a file stored (handle H), named at upload``.
    """
    if not isinstance(trigger, Mapping):
        return ""
    arrival = ARRIVALS.get(str(trigger.get("arrival")), "an upload")
    head = f"Started by {arrival} (handle {trigger.get('handle', '?')})"
    position = trigger.get("trigger")
    if not isinstance(position, int):
        return f"{head}, named at upload"
    constraints = [constraint_text(c) for c in trigger.get("constraints") or [] if isinstance(c, Mapping)]
    matched = f"matching trigger {position + 1}"
    return f"{head}, {matched}: {', '.join(constraints)}" if constraints else f"{head}, {matched}"


def runs_on_uploads(triggers: list[dict[str, Any]]) -> str:
    """What a workflow's triggers say about when it runs (``""`` without an upload trigger):
    ``Runs on uploads where path includes "in/" and size < 1000`` (``; or where …`` for more)."""
    clauses = []
    for trigger in triggers:
        if not isinstance(trigger, Mapping) or trigger.get("event") != "upload":
            continue
        constraints = [constraint_text(c) for c in trigger.get("constraints") or [] if isinstance(c, Mapping)]
        if not constraints:
            return "Runs on every upload"
        clauses.append(" and ".join(constraints))
    return "Runs on uploads where " + "; or where ".join(clauses) if clauses else ""
