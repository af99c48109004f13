"""The studio's editor as rows the page renders: one per task, each with its param fields and
requirements, every field carrying the API's message about it. No I/O.

``problems`` maps a place in the body (``tasks.1.params.location``, see
:class:`dashboard.filestack.FieldProblem`) to the API's message. Each message is shown
at the deepest field that exists on the page; what has no field goes to the workflow's
general message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from dashboard.filestack.workflow_errors import task_id_of
from dashboard.workflow_forms import (
    ABSENT,
    FieldKind,
    FieldSpec,
    fields_of,
    text_of_loose,
    text_of_path,
    text_of_value,
)
from dashboard.workflow_graph import requirement_text

_DOCUTILS_LITERAL = re.compile(r"``([^`]*)``")


@dataclass
class ParamRow:
    """One param field of a task."""

    dom_id: str
    name: str
    label: str
    kind: str
    choices: list[str]
    range_text: str
    placeholder: str
    help: str
    multiline: bool
    required: bool
    value: str
    error: str


@dataclass
class RequirementRow:
    """One requirement of a task: what it waits for and the condition on its result."""

    position: int
    dom_id: str
    task: str
    condition: str
    value: str
    path: str
    summary: str
    path_hints: list[str]
    task_error: str
    condition_error: str
    value_error: str
    path_error: str
    error: str


@dataclass
class TaskRow:
    """One task of the workflow."""

    index: int
    dom_id: str
    id: str
    action: str
    description: str
    params_help: str
    params: list[ParamRow]
    requires: list[RequirementRow]
    task_options: list[str]
    builtin_options: list[str]
    id_error: str
    action_error: str
    params_error: str
    requires_error: str
    error: str


@dataclass
class EditorView:
    """Everything the form shows."""

    name: str = ""
    webhook: str = ""
    tasks: list[TaskRow] = field(default_factory=list)
    name_error: str = ""
    webhook_error: str = ""
    tasks_error: str = ""
    general_error: str = ""


#: The param field used for an action the service does not describe: the whole params object.
RAW_PARAMS = FieldSpec(
    name="", label="Params (JSON)", kind=FieldKind.JSON, help="this action has no contract"
)


def clean_help(text: str) -> str:
    """A docstring as help text: ``literal`` marks dropped, lines joined."""
    return " ".join(_DOCUTILS_LITERAL.sub(r"\1", text).split())


def specs_for(contract: Mapping[str, Any] | None) -> list[FieldSpec]:
    """The param fields of an action (one raw JSON field when it has no contract)."""
    if contract is None:
        return [RAW_PARAMS]
    params = contract.get("params")
    return fields_of(params) if isinstance(params, Mapping) else []


def output_keys(contract: Mapping[str, Any] | None) -> list[str]:
    """Top-level keys of what an action records: the paths a condition can start with."""
    if contract is None:
        return []
    output = contract.get("output")
    if not isinstance(output, Mapping):
        output = {}
    keys: list[str] = []
    for option in [output, *(output.get("oneOf") or [])]:
        properties = option.get("properties") if isinstance(option, Mapping) else None
        for key in properties or {}:
            if key not in keys:
                keys.append(key)
    return keys


class _Problems:
    """Hands out each problem once, to the deepest field that asks for it."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self._left = dict(problems)

    def take(self, key: str) -> str:
        return self._left.pop(key, "")

    def take_under(self, prefix: str) -> str:
        found = [
            self._left.pop(key) for key in list(self._left) if key == prefix or key.startswith(prefix + ".")
        ]
        return "; ".join(dict.fromkeys(found))

    def rest(self) -> str:
        found = list(dict.fromkeys(self._left.values()))
        self._left.clear()
        return "; ".join(found)


def _param_rows(
    task_key: str, dom: str, params: Mapping[str, Any], specs: list[FieldSpec], problems: _Problems
) -> list[ParamRow]:
    rows = []
    for spec in specs:
        value = params if spec is RAW_PARAMS else params.get(spec.name, ABSENT)
        key = f"{task_key}.params.{spec.name}" if spec.name else f"{task_key}.params"
        rows.append(
            ParamRow(
                dom_id=f"{dom}-param-{spec.name or 'raw'}",
                name=spec.name,
                label=spec.label,
                kind=spec.kind.value,
                choices=list(spec.choices),
                range_text=spec.range_text,
                placeholder=spec.placeholder,
                help=clean_help(spec.help),
                multiline=spec.accepts_json,
                required=spec.required,
                value=text_of_value(spec, value),
                error=problems.take_under(key),
            )
        )
    return rows


def _requirement_rows(
    task_key: str,
    dom: str,
    task: Mapping[str, Any],
    contracts: Mapping[str, Mapping[str, Any]],
    actions_by_id: Mapping[str, str],
    problems: _Problems,
) -> list[RequirementRow]:
    rows = []
    requires = task.get("requires")
    if not isinstance(requires, list):
        requires = []
    for position, requirement in enumerate(requires):
        requirement = requirement if isinstance(requirement, Mapping) else {}
        key = f"{task_key}.requires.{position}"
        condition = (
            requirement.get("condition") if isinstance(requirement.get("condition"), Mapping) else None
        )
        required = str(requirement.get("task") or "")
        action = actions_by_id.get(required, required)
        rows.append(
            RequirementRow(
                position=position,
                dom_id=f"{dom}-req-{position}",
                task=required,
                condition=str(condition.get("type") or "") if condition else "",
                value=text_of_loose(condition.get("value")) if condition else "",
                path=text_of_path(condition.get("path")) if condition else "",
                summary=requirement_text(requirement),
                path_hints=output_keys(contracts.get(action)),
                task_error=problems.take_under(f"{key}.task"),
                condition_error=problems.take_under(f"{key}.condition.type"),
                value_error=problems.take_under(f"{key}.condition.value"),
                path_error=problems.take_under(f"{key}.condition.path"),
                error=problems.take_under(key),
            )
        )
    return rows


def editor_view(
    body: Mapping[str, Any], contracts: Mapping[str, Mapping[str, Any]], problems: Mapping[str, str]
) -> EditorView:
    """The form for ``body``, with each of ``problems`` at its field."""
    left = _Problems(problems)
    tasks = [t for t in body.get("tasks", []) if isinstance(t, Mapping)]
    ids = [task_id_of(task) for task in tasks]
    actions_by_id = {task_id_of(task): str(task.get("action") or "") for task in tasks}
    rows = []
    for index, task in enumerate(tasks):
        key, dom = f"tasks.{index}", f"task-{index}"
        action = str(task.get("action") or "")
        contract = contracts.get(action)
        params = task.get("params")
        if not isinstance(params, Mapping):
            params = {}
        param_rows = _param_rows(key, dom, params, specs_for(contract), left)
        requirement_rows = _requirement_rows(key, dom, task, contracts, actions_by_id, left)
        own = ids[index]
        rows.append(
            TaskRow(
                index=index,
                dom_id=dom,
                id=str(task.get("id") or ""),
                action=action,
                description=str(contract.get("description") or "") if contract else "",
                params_help=clean_help(str((contract or {}).get("params", {}).get("description") or "")),
                params=param_rows,
                requires=requirement_rows,
                task_options=[tid for tid in ids if tid != own],
                builtin_options=[name for name in contracts if name not in ids],
                id_error=left.take_under(f"{key}.id"),
                action_error=left.take_under(f"{key}.action"),
                params_error=left.take_under(f"{key}.params"),
                requires_error=left.take_under(f"{key}.requires"),
                error=left.take_under(key),
            )
        )
    return EditorView(
        name=str(body.get("name") or ""),
        webhook=str(body.get("webhook") or ""),
        tasks=rows,
        name_error=left.take_under("name"),
        webhook_error=left.take_under("webhook"),
        tasks_error=left.take("tasks"),
        general_error=left.rest(),
    )
