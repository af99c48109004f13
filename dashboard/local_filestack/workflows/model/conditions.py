"""Evaluation of requirement conditions on task results.

Task results are recorded as ``{"data": {...}}`` and conditions apply to the
``data`` object: ``{"type": "gt", "value": 50, "path": ["nsfw"]}`` on the
result of ``sfw`` reads ``result["data"]["nsfw"]``. A path may also start with
``"data"`` explicitly: when the data object has no ``"data"`` key of its own,
such a path is walked from the whole result. A result that is not of the
``{"data": ...}`` form is walked as it is.

Paths walk JSON values: a string is an object key, an integer an array index
(``['x', 0, 'y']`` on ``{"x": [{"y": 2}, {"y": 4}]}`` gives 2).

Predicates (the first argument is the value the path reaches):

* ``gt`` / ``lt`` -- numeric comparison; booleans are not numbers.
* ``equals`` -- JSON equality: ``1`` equals ``1.0``, ``"1"`` does not equal
  ``1``, ``true`` does not equal ``1``.
* ``includes`` -- the condition value is an element of an array, a substring
  of a string, or a key of an object.

Evaluation never raises for bad data: a path that does not resolve or a value
of the wrong type makes the condition false, with a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dashboard.local_filestack.workflows.model.workflow import Condition, PathElement, is_number

_MAX_SHOWN = 120


class PathResolutionError(LookupError):
    """A condition path does not lead to a value."""


@dataclass(frozen=True)
class ConditionResult:
    """The verdict of a condition: whether it holds, why not, and what was read."""

    holds: bool
    reason: str | None = None
    value: Any = None


def resolve_path(document: Any, path: Sequence[PathElement]) -> Any:
    """Walk ``document`` along ``path``; raise :class:`PathResolutionError` if it breaks off."""
    current = document
    for element in path:
        current = _step(current, element)
    return current


def condition_subject(result: Mapping[str, Any] | None, path: Sequence[PathElement]) -> Any:
    """The value a condition compares: ``path`` walked from the result's data.

    See the module docstring for the ``data`` convention.
    """
    if result is None:
        raise PathResolutionError("no result recorded")
    has_data = isinstance(result, Mapping) and "data" in result
    data = result["data"] if has_data else result
    explicit_data = bool(path) and path[0] == "data"
    if has_data and explicit_data and not (isinstance(data, Mapping) and "data" in data):
        return resolve_path(result, path)
    return resolve_path(data, path)


def evaluate(condition: Condition, result: Mapping[str, Any] | None, source: str) -> ConditionResult:
    """Evaluate ``condition`` on ``result``, the recorded result of task ``source``."""
    path = condition.path or []
    try:
        subject = condition_subject(result, path)
    except PathResolutionError as exc:
        return ConditionResult(
            holds=False,
            reason=f"path {list(path)!r} not found in result of {source!r} ({exc})",
        )
    return _compare(condition, subject, source)


def describe_condition(condition: Condition, source: str) -> str:
    """Name a condition for messages, e.g. ``condition gt 50 on sfw.nsfw``."""
    return f"condition {condition.type} {show_json(condition.value)} on {format_path(source, condition.path)}"


def format_path(source: str, path: Sequence[PathElement] | None) -> str:
    """Render ``sfw`` + ``['x', 0, 'y']`` as ``sfw.x[0].y``."""
    text = source
    for element in path or ():
        text += f"[{element}]" if isinstance(element, int) else f".{element}"
    return text


def show_json(value: Any) -> str:
    """A short JSON rendering of ``value`` for messages."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def json_equal(left: Any, right: Any) -> bool:
    """JSON equality: numbers compare by value, booleans only with booleans."""
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if is_number(left) or is_number(right):
        return is_number(left) and is_number(right) and left == right
    if isinstance(left, Mapping) and isinstance(right, Mapping):
        return left.keys() == right.keys() and all(json_equal(left[k], right[k]) for k in left)
    if _is_array(left) and _is_array(right):
        return len(left) == len(right) and all(json_equal(a, b) for a, b in zip(left, right))
    if _is_array(left) or _is_array(right) or isinstance(left, Mapping) or isinstance(right, Mapping):
        return False
    return type(left) is type(right) and left == right


def includes(container: Any, value: Any) -> bool | None:
    """Whether ``value`` is in ``container``; ``None`` if it cannot contain anything.

    Arrays contain their elements (JSON equality), strings their substrings and
    objects their keys.
    """
    if isinstance(container, str):
        return isinstance(value, str) and value in container
    if isinstance(container, Mapping):
        return isinstance(value, str) and value in container
    if _is_array(container):
        return any(json_equal(element, value) for element in container)
    return None


def _step(current: Any, element: PathElement) -> Any:
    """Take one step of a path, explaining where it breaks off."""
    if isinstance(element, int) and not isinstance(element, bool):
        if not _is_array(current):
            raise PathResolutionError(f"index {element} applied to {_kind(current)}")
        if not 0 <= element < len(current):
            raise PathResolutionError(f"index {element} out of range for an array of {len(current)}")
        return current[element]
    if not isinstance(current, Mapping):
        raise PathResolutionError(f"key {element!r} applied to {_kind(current)}")
    if element not in current:
        raise PathResolutionError(f"no key {element!r}")
    return current[element]


def _compare(condition: Condition, subject: Any, source: str) -> ConditionResult:
    """Apply the condition's predicate to the value the path reached."""
    name = describe_condition(condition, source)
    if condition.type in ("gt", "lt"):
        if not is_number(subject):
            return _false(name, f"value {show_json(subject)} is not a number", subject)
        holds = subject > condition.value if condition.type == "gt" else subject < condition.value
    elif condition.type == "equals":
        holds = json_equal(subject, condition.value)
    else:
        verdict = includes(subject, condition.value)
        if verdict is None:
            return _false(name, f"value {show_json(subject)} is not an array, string or object", subject)
        holds = verdict
    if holds:
        return ConditionResult(holds=True, value=subject)
    return ConditionResult(
        holds=False, reason=f"{name} was false (value {show_json(subject)})", value=subject
    )


def _false(name: str, why: str, subject: Any) -> ConditionResult:
    """A false verdict for a value the predicate cannot apply to."""
    return ConditionResult(holds=False, reason=f"{name} was false ({why})", value=subject)


def _is_array(value: Any) -> bool:
    """JSON arrays: lists and tuples (strings and bytes are not arrays)."""
    return isinstance(value, (list, tuple))


def _kind(value: Any) -> str:
    """The JSON kind of a value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if is_number(value):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if _is_array(value):
        return "an array"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
