"""Where in a workflow body a ``400`` from ``POST``/``PUT /workflows`` points.

The Workflows API answers one message naming the culprit; these functions turn it into
:class:`FieldProblem` entries whose ``path`` leads into the body that was sent, e.g.
``("tasks", 1, "params", "location")``. The messages read are:

* ``invalid workflow: <loc>: <msg>[; <loc>: <msg>...]`` where a location under
  ``tasks`` reads ``task 'ID' (tasks[N]): requires[0].condition.type``;
* ``task 'ID': unknown action 'A'; known actions: ...``;
* ``task 'ID': invalid params for action 'A'[ (note)]: <loc>: <msg>[; ...]``;
* ``task 'ID': requires unknown task 'T', which is ...``;
* ``tasks N and M both use action 'A' without ids; ...`` (positions from 1);
* ``duplicate task id 'ID'``;
* ``cycle: a -> b -> a`` (each task then the one requiring it);
* ``webhook_secret must be a non-empty string``.

Anything else stays unplaced (an empty ``path``): it belongs to the workflow as a whole.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

PathPart = str | int

_INVALID = "invalid workflow: "
_LOCATION = re.compile(r"^[A-Za-z_][\w-]*(?:\[\d+\])*(?:\.[A-Za-z_][\w-]*(?:\[\d+\])*)*$")
_LOCATION_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_TASK_AT = re.compile(r"^task (?:'(?:[^']*)'|#\d+) \(tasks\[(\d+)\]\)(?:: (.*))?$", re.DOTALL)
_UNKNOWN_ACTION = re.compile(r"^task '([^']*)': unknown action ")
_INVALID_PARAMS = re.compile(
    r"^task '([^']*)': invalid params for action '[^']*'(?: \(([^)]*)\))?: (.*)$", re.DOTALL
)
_UNKNOWN_REQUIRED = re.compile(r"^task '([^']*)': requires unknown task '([^']*)'")
_ANONYMOUS_TWINS = re.compile(r"^tasks (\d+) and (\d+) both use action ")
_DUPLICATE_ID = re.compile(r"^duplicate task id '([^']*)'")
_CYCLE = re.compile(r"^cycle: (.+)$")
_REQUIRED_BY = re.compile(r"required by '([^']*)'")
_NEEDS_NUMBER = "needs a numeric value"


@dataclass(frozen=True)
class FieldProblem:
    """A problem with one place of the body; ``path`` is empty for the workflow as a whole."""

    path: tuple[PathPart, ...]
    message: str

    @property
    def key(self) -> str:
        """The path joined with dots (``tasks.1.params.location``); ``""`` for the whole."""
        return ".".join(str(part) for part in self.path)


def locate_problems(message: str, body: Any) -> list[FieldProblem]:
    """The places of ``body`` the API's error ``message`` names (at least one problem)."""
    text = message.strip()
    found: list[FieldProblem]
    if text.startswith(_INVALID):
        found = [_pydantic_part(part, body) for part in _split(text[len(_INVALID) :])]
    else:
        found = _engine_problem(text, body)
    return found or [FieldProblem((), text)]


def _split(text: str) -> list[str]:
    """Problems are joined with ``"; "``."""
    return [part for part in text.split("; ") if part.strip()]


def _parse_location(location: str) -> tuple[PathPart, ...]:
    """``requires[0].condition.type`` -> ``("requires", 0, "condition", "type")``."""
    parts: list[PathPart] = []
    for name, index in _LOCATION_PART.findall(location):
        parts.append(int(index) if index else name)
    return tuple(parts)


def _location_and_message(text: str) -> tuple[tuple[PathPart, ...], str]:
    """Split ``loc: message`` when the part before the colon is a location."""
    head, sep, rest = text.partition(": ")
    if sep and _LOCATION.match(head):
        return _parse_location(head), rest
    return (), text


def _refine(path: tuple[PathPart, ...], message: str) -> tuple[PathPart, ...]:
    """A condition that needs a number is a problem with its value."""
    if path and path[-1] == "condition" and _NEEDS_NUMBER in message:
        return (*path, "value")
    return path


def _pydantic_part(part: str, body: Any) -> FieldProblem:
    match = _TASK_AT.match(part)
    if match:
        index = int(match.group(1))
        location, message = _location_and_message(match.group(2) or "invalid task")
        path = ("tasks", index, *location)
        return FieldProblem(_refine(path, message), message)
    location, message = _location_and_message(part)
    return FieldProblem(_refine(location, message), message)


def _tasks(body: Any) -> list[Mapping[str, Any]]:
    tasks = body.get("tasks") if isinstance(body, Mapping) else None
    if not isinstance(tasks, list):
        return []
    return [task if isinstance(task, Mapping) else {} for task in tasks]


def task_id_of(task: Mapping[str, Any]) -> str:
    """A task's id: ``id``, else its action."""
    value = task.get("id") or task.get("action") or ""
    return value if isinstance(value, str) else str(value)


def _index_of(body: Any, task_id: str) -> int | None:
    for index, task in enumerate(_tasks(body)):
        if task_id_of(task) == task_id:
            return index
    return None


def _requirements_on(body: Any, index: int, required: str) -> list[int]:
    requires = _tasks(body)[index].get("requires")
    if not isinstance(requires, Sequence) or isinstance(requires, str):
        return []
    return [
        position
        for position, requirement in enumerate(requires)
        if isinstance(requirement, Mapping) and requirement.get("task") == required
    ]


def _engine_problem(text: str, body: Any) -> list[FieldProblem]:
    """Messages of the checks made after the shape is right (actions, params, graph)."""
    if match := _UNKNOWN_ACTION.match(text):
        index = _index_of(body, match.group(1))
        return [FieldProblem(("tasks", index, "action"), text)] if index is not None else []
    if match := _INVALID_PARAMS.match(text):
        return _params_problems(body, match.group(1), match.group(2) or "", match.group(3))
    if match := _UNKNOWN_REQUIRED.match(text):
        index = _index_of(body, match.group(1))
        if index is None:
            return []
        positions = _requirements_on(body, index, match.group(2))
        return [FieldProblem(("tasks", index, "requires", at, "task"), text) for at in positions] or [
            FieldProblem(("tasks", index, "requires"), text)
        ]
    if match := _ANONYMOUS_TWINS.match(text):
        return [FieldProblem(("tasks", int(match.group(2)) - 1, "id"), text)]
    if match := _DUPLICATE_ID.match(text):
        duplicate = match.group(1)
        indexes = [i for i, task in enumerate(_tasks(body)) if task_id_of(task) == duplicate]
        return [FieldProblem(("tasks", index, "id"), text) for index in indexes[1:]]
    if match := _CYCLE.match(text):
        return _cycle_problems(body, [name.strip() for name in match.group(1).split("->")], text)
    if text.startswith("webhook_secret "):
        return [FieldProblem(("webhook_secret",), text)]
    return []


def _params_problems(body: Any, task_id: str, note: str, details: str) -> list[FieldProblem]:
    """Params errors: at each param of the task, or at the requirement that made it implicit."""
    index = _index_of(body, task_id)
    if index is None:
        required_by = _REQUIRED_BY.search(note)
        owner = _index_of(body, required_by.group(1)) if required_by else None
        if owner is None:
            return []
        message = f"{task_id} runs with its default params, which it cannot: {details}"
        positions = _requirements_on(body, owner, task_id) or [0]
        return [FieldProblem(("tasks", owner, "requires", at, "task"), message) for at in positions]
    problems = []
    for part in _split(details):
        location, message = _location_and_message(part)
        problems.append(FieldProblem(("tasks", index, "params", *location), message))
    return problems


def _cycle_problems(body: Any, names: list[str], text: str) -> list[FieldProblem]:
    """In ``a -> b``, ``b`` requires ``a``: mark that requirement of ``b``."""
    problems = []
    for before, after in itertools.pairwise(names):
        index = _index_of(body, after)
        if index is None:
            continue
        for at in _requirements_on(body, index, before):
            problems.append(FieldProblem(("tasks", index, "requires", at, "task"), text))
    return problems
