"""A workflow as a graph: tasks as nodes, requirements as edges labelled with their condition.

The output is what ``@xyflow/react`` draws (``nodes`` with ``id``, ``position``, ``data``;
``edges`` with ``source``, ``target``, ``label``). Nodes are laid out left to right in
layers: a task sits one layer right of the furthest task it requires. A required
built-in action that is not listed (it runs implicitly) gets a dashed node. Drafts may
be wrong -- unknown tasks, cycles -- and are still drawn. No I/O.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from dashboard.filestack.workflow_errors import task_id_of
from dashboard.workflow_forms import text_of_path

COLUMN_GAP = 240
ROW_GAP = 96
NODE_WIDTH = 180

_OPERATORS = {"gt": ">", "lt": "<", "equals": "=", "includes": "includes"}

#: Node colours by task state (inline styles: the graph's classes are not in the compiled page).
STATE_STYLES: dict[str, dict[str, str]] = {
    "": {"background": "#ffffff", "borderColor": "#cbd5e1", "color": "#0f172a"},
    "pending": {"background": "#f8fafc", "borderColor": "#cbd5e1", "color": "#475569"},
    "running": {"background": "#fffbeb", "borderColor": "#f59e0b", "color": "#78350f"},
    "done": {"background": "#ecfdf5", "borderColor": "#10b981", "color": "#064e3b"},
    "skipped": {"background": "#f1f5f9", "borderColor": "#94a3b8", "color": "#475569"},
    "failed": {"background": "#fff1f2", "borderColor": "#f43f5e", "color": "#881337"},
}


def requirement_text(requirement: Mapping[str, Any]) -> str:
    """``sfw = true``, ``nsfw > 50``, ``tags.auto includes "cat"``; ``done`` without a condition."""
    condition = requirement.get("condition")
    if not isinstance(condition, Mapping):
        return "done"
    kind = str(condition.get("type") or "?")
    subject = text_of_path(condition.get("path")) or "result"
    value = json.dumps(condition.get("value"), ensure_ascii=False)
    return f"{subject} {_OPERATORS.get(kind, kind)} {value}"


def _requires(task: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The task's requirements, plus one for the task it takes its file from (``input``) if no
    requirement names that task; such a requirement is marked ``"pipe": True``."""
    requires = task.get("requires")
    found = [
        r
        for r in (requires if isinstance(requires, list) else [])
        if isinstance(r, Mapping) and isinstance(r.get("task"), str) and r.get("task")
    ]
    piped = _input_of(task)
    if piped and all(r["task"] != piped for r in found):
        found.append({"task": piped, "pipe": True})
    return found


def _input_of(task: Mapping[str, Any]) -> str:
    """The id of the task whose output file ``task`` reads (``"input": {"task": id}``), or ``""``."""
    source = task.get("input")
    piped = source.get("task") if isinstance(source, Mapping) else None
    return piped if isinstance(piped, str) else ""


def _layers(order: list[str], parents: Mapping[str, list[str]]) -> dict[str, int]:
    """Longest distance from a task that requires nothing; a cycle is cut where it closes."""
    layer: dict[str, int] = {}
    visiting: set[str] = set()

    def depth(node: str) -> int:
        if node in layer:
            return layer[node]
        if node in visiting:
            return -1
        visiting.add(node)
        best = max((depth(parent) + 1 for parent in parents.get(node, [])), default=0)
        visiting.discard(node)
        layer[node] = max(best, 0)
        return layer[node]

    for node in order:
        depth(node)
    return layer


def graph_of(
    body: Mapping[str, Any], states: Mapping[str, str] | None = None
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``(nodes, edges)`` for ``body``; ``states`` colours tasks by their state in a job."""
    tasks = [t for t in body.get("tasks", []) if isinstance(t, Mapping)] if isinstance(body, Mapping) else []
    states = states or {}
    listed = [task_id_of(task) for task in tasks]
    action_of = {task_id_of(task): str(task.get("action") or "") for task in tasks}
    parents: dict[str, list[str]] = {}
    implicit: list[str] = []
    for task in tasks:
        own = task_id_of(task)
        for requirement in _requires(task):
            required = requirement["task"]
            parents.setdefault(own, []).append(required)
            if required not in action_of and required not in implicit:
                implicit.append(required)
    order = implicit + [tid for tid in listed if tid not in implicit]
    layers = _layers(order, parents)
    rows: dict[int, list[str]] = {}
    for node in order:
        column = rows.setdefault(layers[node], [])
        if node not in column:
            column.append(node)
    tallest = max((len(column) for column in rows.values()), default=0)
    nodes: list[dict[str, Any]] = []
    for column_index, column in sorted(rows.items()):
        top = (tallest - len(column)) * ROW_GAP / 2
        for row_index, node in enumerate(column):
            nodes.append(
                _node(
                    node,
                    action_of.get(node),
                    node in implicit and node not in action_of,
                    states.get(node, ""),
                    column_index * COLUMN_GAP,
                    top + row_index * ROW_GAP,
                )
            )
    edges = [
        _edge(requirement["task"], task_id_of(task), position, requirement, states, _input_of(task))
        for task in tasks
        for position, requirement in enumerate(_requires(task))
    ]
    return nodes, edges


def _node(node_id: str, action: str | None, implicit: bool, state: str, x: float, y: float) -> dict[str, Any]:
    colours = STATE_STYLES.get(state, STATE_STYLES[""])
    second = "built-in, runs implicitly" if implicit else (action if action != node_id else "")
    if state:
        second = f"{second} · {state}" if second else state
    text = f"{node_id}\n{second}" if second else node_id
    return {
        "id": node_id,
        "position": {"x": x, "y": y},
        "data": {"label": text},
        "sourcePosition": "right",
        "targetPosition": "left",
        "draggable": False,
        "style": {
            **colours,
            "width": NODE_WIDTH,
            "borderWidth": 1,
            "borderStyle": "dashed" if implicit else "solid",
            "borderRadius": 8,
            "fontSize": 12,
            "whiteSpace": "pre-line",
            "lineHeight": "1.35",
        },
    }


def _edge(
    source: str,
    target: str,
    position: int,
    requirement: Mapping[str, Any],
    states: Mapping[str, str],
    piped_from: str = "",
) -> dict[str, Any]:
    conditional = isinstance(requirement.get("condition"), Mapping)
    if requirement.get("pipe"):
        label = "its file"
    elif source == piped_from:
        label = f"{requirement_text(requirement)} · its file"
    else:
        label = requirement_text(requirement)
    return {
        "id": f"{source}->{target}#{position}",
        "source": source,
        "target": target,
        "label": label,
        "animated": states.get(source) == "running" or states.get(target) == "running",
        "markerEnd": {"type": "arrowclosed", "color": "#64748b"},
        "style": {"stroke": "#6366f1" if conditional else "#94a3b8", "strokeWidth": 1.5},
        "labelStyle": {"fontSize": 11, "fill": "#334155"},
        "labelBgStyle": {"fill": "#ffffff"},
        "labelBgPadding": [4, 2],
    }
