"""Editing a workflow's JSON body step by step, as the studio's forms do. No I/O.

A draft is the exact body ``POST``/``PUT /workflows`` receives: ``{"name", "tasks",
"webhook"?}``, each task ``{"id", "action", "params", "requires"}``. Every function
returns a new body and leaves its argument alone. Task ids are kept unique and renaming
a task renames the requirements on it, so the graph stays connected while editing.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable, Mapping
from typing import Any

from dashboard.filestack.workflow_errors import task_id_of
from dashboard.workflow_forms import ABSENT

Body = dict[str, Any]

#: Condition types a requirement may carry; ``""`` means "once the task is done".
CONDITION_TYPES: tuple[str, ...] = ("gt", "lt", "equals", "includes")


class DraftError(ValueError):
    """A body that cannot be edited as a workflow (not an object, tasks not a list...)."""


def empty_draft(name: str = "Untitled workflow") -> Body:
    """A new workflow with no tasks yet."""
    return {"name": name, "tasks": []}


def from_json(text: str) -> Body:
    """A draft from JSON text, checked for the shape the forms can edit."""
    try:
        value = json.loads(text)
    except ValueError as err:
        raise DraftError(f"not valid JSON: {err}") from err
    return normalized(value)


def normalized(value: Any) -> Body:
    """``value`` as a draft: an object whose ``tasks`` is a list of objects."""
    if not isinstance(value, Mapping):
        raise DraftError("a workflow is a JSON object with a name and tasks")
    body = copy.deepcopy(dict(value))
    tasks = body.get("tasks", [])
    if not isinstance(tasks, list) or not all(isinstance(task, Mapping) for task in tasks):
        raise DraftError("tasks must be a list of objects")
    body["tasks"] = [dict(task) for task in tasks]
    for task in body["tasks"]:
        requires = task.get("requires", [])
        if not isinstance(requires, list) or not all(isinstance(r, Mapping) for r in requires):
            raise DraftError(f"requires of task {task_id_of(task)!r} must be a list of objects")
        if not isinstance(task.get("params", {}), Mapping):
            raise DraftError(f"params of task {task_id_of(task)!r} must be an object")
    body.pop("id", None)
    body.pop("uuid", None)
    body.pop("createdAt", None)
    body.pop("updatedAt", None)
    return body


def to_json(body: Body) -> str:
    """The body exactly as sent, indented for reading."""
    return json.dumps(body, indent=2, ensure_ascii=False)


def task_ids(body: Body) -> list[str]:
    """Every task's id (its ``id``, else its action), in order."""
    return [task_id_of(task) for task in body.get("tasks", [])]


def unique_id(wanted: str, taken: Iterable[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``... the first not in ``taken``."""
    used = set(taken)
    if wanted not in used:
        return wanted
    number = 2
    while f"{wanted}_{number}" in used:
        number += 1
    return f"{wanted}_{number}"


def _edit(body: Body) -> Body:
    return copy.deepcopy(body)


def _task(body: Body, index: int) -> dict[str, Any]:
    tasks = body.get("tasks", [])
    if not 0 <= index < len(tasks):
        raise DraftError(f"there is no task #{index + 1}")
    return tasks[index]


def _requirement(body: Body, index: int, position: int) -> dict[str, Any]:
    requires = _task(body, index).setdefault("requires", [])
    if not 0 <= position < len(requires):
        raise DraftError(f"task #{index + 1} has no requirement #{position + 1}")
    return requires[position]


def set_name(body: Body, name: str) -> Body:
    """Rename the workflow."""
    edited = _edit(body)
    edited["name"] = name
    return edited


def set_webhook(body: Body, webhook: str) -> Body:
    """Set the webhook URL; an empty text removes it."""
    edited = _edit(body)
    if webhook.strip():
        edited["webhook"] = webhook.strip()
    else:
        edited.pop("webhook", None)
    return edited


def add_task(body: Body, action: str, params: Mapping[str, Any] | None = None) -> Body:
    """Append a task running ``action``, with an id of its own."""
    edited = _edit(body)
    edited.setdefault("tasks", []).append(
        {
            "id": unique_id(action, task_ids(body)),
            "action": action,
            "params": dict(params or {}),
            "requires": [],
        }
    )
    return edited


def remove_task(body: Body, index: int) -> Body:
    """Remove a task, every requirement on it and every pipe from it."""
    edited = _edit(body)
    removed = task_id_of(_task(edited, index))
    del edited["tasks"][index]
    for task in edited["tasks"]:
        task["requires"] = [r for r in task.get("requires", []) if r.get("task") != removed]
        if isinstance(task.get("input"), Mapping) and task["input"].get("task") == removed:
            del task["input"]  # it reads the job's file again
    return edited


def move_task(body: Body, index: int, offset: int) -> Body:
    """Move a task up (``-1``) or down (``+1``) in the list."""
    edited = _edit(body)
    _task(edited, index)
    target = index + offset
    if not 0 <= target < len(edited["tasks"]):
        return edited
    tasks = edited["tasks"]
    tasks[index], tasks[target] = tasks[target], tasks[index]
    return edited


def set_task_id(body: Body, index: int, new_id: str) -> Body:
    """Rename a task; requirements on it and pipes from it follow. An empty id falls back to the action."""
    edited = _edit(body)
    task = _task(edited, index)
    old = task_id_of(task)
    cleaned = new_id.strip()
    if cleaned:
        task["id"] = cleaned
    else:
        task.pop("id", None)
    new = task_id_of(task)
    if new != old:
        for other in edited["tasks"]:
            for requirement in other.get("requires", []):
                if requirement.get("task") == old:
                    requirement["task"] = new
            if isinstance(other.get("input"), Mapping) and other["input"].get("task") == old:
                other["input"]["task"] = new
    return edited


def set_action(body: Body, index: int, action: str) -> Body:
    """Change a task's action; its params start over (they belonged to the old action)."""
    edited = _edit(body)
    task = _task(edited, index)
    if task.get("action") != action:
        task["action"] = action
        task["params"] = {}
    return edited


def set_param(body: Body, index: int, name: str, value: Any) -> Body:
    """Set one param of a task; :data:`~dashboard.workflow_forms.ABSENT` removes it."""
    edited = _edit(body)
    params = _task(edited, index).setdefault("params", {})
    if value is ABSENT:
        params.pop(name, None)
    else:
        params[name] = value
    return edited


def set_params(body: Body, index: int, params: Any) -> Body:
    """Replace every param of a task at once (an action the service does not describe)."""
    if not isinstance(params, Mapping):
        raise DraftError("params must be a JSON object")
    edited = _edit(body)
    _task(edited, index)["params"] = dict(params)
    return edited


def add_requirement(body: Body, index: int) -> Body:
    """Make a task require another one (the first task before it, else any other)."""
    edited = _edit(body)
    own = task_id_of(_task(edited, index))
    others = [tid for tid in task_ids(edited) if tid != own]
    earlier = [task_id_of(t) for t in edited["tasks"][:index]]
    target = earlier[-1] if earlier else (others[0] if others else "")
    _task(edited, index).setdefault("requires", []).append({"task": target})
    return edited


def remove_requirement(body: Body, index: int, position: int) -> Body:
    """Drop one requirement of a task."""
    edited = _edit(body)
    _requirement(edited, index, position)
    del _task(edited, index)["requires"][position]
    return edited


def set_requirement_task(body: Body, index: int, position: int, required: str) -> Body:
    """Which task (or built-in action) the requirement waits for."""
    edited = _edit(body)
    _requirement(edited, index, position)["task"] = required.strip()
    return edited


def set_condition_type(body: Body, index: int, position: int, kind: str) -> Body:
    """Set the condition's type; ``""`` removes the condition (run once the task is done)."""
    edited = _edit(body)
    requirement = _requirement(edited, index, position)
    if not kind:
        requirement.pop("condition", None)
        return edited
    condition = requirement.setdefault("condition", {})
    condition["type"] = kind
    condition.setdefault("value", None)
    return edited


def set_condition_value(body: Body, index: int, position: int, value: Any) -> Body:
    """The value the condition compares with."""
    edited = _edit(body)
    condition = _requirement(edited, index, position).setdefault("condition", {"type": "equals"})
    condition["value"] = value
    return edited


def set_condition_path(body: Body, index: int, position: int, path: list[Any] | None) -> Body:
    """The path into the required task's result; ``None`` compares the whole result."""
    edited = _edit(body)
    condition = _requirement(edited, index, position).setdefault("condition", {"type": "equals"})
    if path:
        condition["path"] = path
    else:
        condition.pop("path", None)
    return edited
