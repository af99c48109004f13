"""WorkflowsState: the workflows the service knows, with their tasks and conditions (read-only)."""

from __future__ import annotations

import json
from typing import Any

import reflex as rx

from dashboard import connection
from dashboard.filestack import FilestackError
from dashboard.state.rows import WorkflowRow, WorkflowTaskRow
from dashboard.state.session import SessionState


def _condition_text(requirement: dict[str, Any]) -> str:
    task = requirement.get("task", "?")
    condition = requirement.get("condition")
    if not condition:
        return f"after {task} is done"
    path = ".".join(str(p) for p in condition.get("path") or [])
    subject = f"{task}.{path}" if path else task
    return f"{subject} {condition.get('type', '?')} {json.dumps(condition.get('value'))}"


def _params_text(params: dict[str, Any]) -> str:
    if not params:
        return ""
    if set(params) == {"tasks"} and isinstance(params["tasks"], str):
        return params["tasks"]
    return json.dumps(params, separators=(", ", ": "))


def describe(workflow: dict[str, Any]) -> WorkflowRow:
    """A workflow as rows the page can show."""
    return WorkflowRow(
        id=str(workflow.get("id", "")),
        name=str(workflow.get("name", "")),
        webhook=str(workflow.get("webhook") or ""),
        tasks=[
            WorkflowTaskRow(
                id=str(task.get("id") or task.get("action", "")),
                action=str(task.get("action", "")),
                params=_params_text(task.get("params") or {}),
                requires="; ".join(_condition_text(r) for r in task.get("requires") or []) or "at once",
            )
            for task in workflow.get("tasks", [])
        ],
    )


class WorkflowsState(SessionState):
    """Every workflow, as the Workflows REST API lists it (for signed-in people)."""

    workflows: list[WorkflowRow] = []
    error: str = ""

    @rx.event
    async def load(self):
        """Read the workflows from the service."""
        if await self._account() is None:
            self.workflows, self.error = [], ""
            return
        try:
            async with connection.open_client() as fs:
                workflows = await fs.list_workflows()
        except FilestackError as err:
            self.workflows, self.error = [], f"The workflows could not be read: {err}"
            return
        self.error = ""
        self.workflows = [describe(w.model_dump()) for w in workflows]
