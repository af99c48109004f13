"""How the workflows page describes a workflow in words: what runs it, and each task with its parameters.

Pure logic, no I/O. A processing chain (``resize=width:400,fit:crop/store=path:"a/"``)
is read with the protocol's grammar and said as steps; other parameters as ``key value``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dashboard.filestack.workflow_models import TaskSpec, Workflow
from dashboard.filestack_protocol.grammar import GrammarError, Task, parse_chain

#: What a workflow that no photo slot runs says about when it runs.
RUNS_WHEN_STARTED = "Runs only when started"

CONDITION_WORDS = {"gt": "is more than", "lt": "is less than", "equals": "is", "includes": "includes"}


@dataclass(frozen=True)
class SlotUse:
    """Which photo slot of the profile runs a workflow on every upload ("" for none)."""

    slot: str
    text: str


def slot_use(workflow_id: str, profile_workflow_id: str, cover_workflow_id: str) -> SlotUse:
    """The profile picture's and the cover photo's workflows, named as such; others run only when started."""
    if workflow_id == profile_workflow_id:
        return SlotUse("Profile picture", "Runs on every profile picture upload")
    if workflow_id == cover_workflow_id:
        return SlotUse("Cover photo", "Runs on every cover photo upload")
    return SlotUse("", RUNS_WHEN_STARTED)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _pairs(params: dict[str, Any]) -> str:
    return ", ".join(f"{key.replace('_', ' ')} {_value(value)}" for key, value in params.items())


def _step(task: Task) -> str:
    name = task.name.replace("_", " ")
    return f"{name} ({_pairs(task.params)})" if task.params else name


def params_text(task: TaskSpec) -> str:
    """A task's parameters in words ("" when it has none)."""
    params = dict(task.params)
    chain = params.pop("tasks", None)
    parts: list[str] = []
    if isinstance(chain, str) and chain:
        try:
            parts.append(" → ".join(_step(step) for step in parse_chain(chain)))
        except GrammarError:
            parts.append(f"tasks {chain}")
    if params:
        parts.append(_pairs(params))
    return "; ".join(parts)


def requires_text(task: TaskSpec) -> str:
    """When a task runs, in words ("" when it runs at once)."""
    clauses = []
    for requirement in task.requires:
        condition = requirement.condition
        if condition is None:
            clauses.append(f"after {requirement.task}")
            continue
        path = ".".join(str(part) for part in condition.path or []) or "its result"
        kind = getattr(condition.type, "value", condition.type)
        words = CONDITION_WORDS.get(kind, kind)
        clauses.append(f"after {requirement.task}, if {path} {words} {_value(condition.value)}")
    return "; ".join(clauses)


@dataclass(frozen=True)
class TaskLine:
    """One task of a workflow, as the list shows it."""

    id: str
    action: str
    params: str
    requires: str


def task_lines(workflow: Workflow) -> list[TaskLine]:
    """Each task of ``workflow`` in run order, in words."""
    return [
        TaskLine(id=task.task_id, action=task.action, params=params_text(task), requires=requires_text(task))
        for task in workflow.tasks
    ]
