"""WorkflowListState: every workflow, and creating, duplicating and deleting them through the REST API."""

from __future__ import annotations

from dataclasses import dataclass

import reflex as rx

from dashboard import connection
from dashboard.filestack import FilestackError, Workflow
from dashboard.job_views import when
from dashboard.settings import get_settings
from dashboard.state.studio import StudioState, studio_event
from dashboard.trigger_text import runs_on_uploads
from dashboard.workflow_summary import TaskLine, slot_use, task_lines


@dataclass
class WorkflowRow:
    """A workflow in the list."""

    id: str
    name: str
    actions: str
    task_count: int
    webhook: str
    updated: str
    #: The photo slot whose uploads run it ("Profile picture", "Cover photo"), or "".
    slot: str
    #: When it runs, in words ("Runs on every profile picture upload", "Runs only when started").
    runs: str
    tasks: list[TaskLine]


def workflow_row(workflow: Workflow) -> WorkflowRow:
    """One line of the list."""
    settings = get_settings()
    use = slot_use(workflow.id, settings.filestack_profile_workflow_id, settings.filestack_cover_workflow_id)
    return WorkflowRow(
        id=workflow.id,
        name=workflow.name,
        actions=" → ".join(task.action for task in workflow.tasks),
        task_count=len(workflow.tasks),
        webhook=workflow.webhook or "",
        updated=when(workflow.updated_at),
        slot=use.slot,
        runs=(runs_on_uploads(workflow.triggers) or use.text) if not use.slot else use.text,
        tasks=task_lines(workflow),
    )


def copy_name(name: str, taken: set[str]) -> str:
    """``Name (copy)``, ``Name (copy 2)``... the first name not in ``taken``."""
    candidate, number = f"{name} (copy)", 2
    while candidate in taken:
        candidate, number = f"{name} (copy {number})", number + 1
    return candidate


class WorkflowListState(StudioState):
    """The workflows page."""

    workflows: list[WorkflowRow] = []
    error: str = ""
    loading: bool = False
    #: The workflow waiting for the person to confirm its deletion.
    confirm_delete: str = ""

    @rx.event
    @studio_event
    async def load(self):
        """Read every workflow from the REST API."""
        self.loading = True
        yield
        try:
            async with connection.open_client() as fs:
                workflows = await fs.workflows_api.list_workflows()
        except FilestackError as err:
            self.workflows, self.error, self.loading = [], f"The workflows could not be read: {err}", False
            return
        self.workflows = [workflow_row(w) for w in workflows]
        self.error, self.loading = "", False

    @rx.event
    @studio_event
    async def duplicate(self, workflow_id: str):
        """Create a copy of a workflow under a new name, then open it."""
        try:
            async with connection.open_client() as fs:
                original = await fs.workflows_api.get_workflow(workflow_id)
                name = copy_name(original.name, {row.name for row in self.workflows})
                copy = await fs.workflows_api.create_workflow({**original.definition(), "name": name})
        except FilestackError as err:
            yield rx.toast.error(f"Could not duplicate: {err}")
            return
        yield rx.toast.success(f"Created “{copy.name}”.")
        yield rx.redirect(f"/workflows/{copy.id}")

    @rx.event
    @studio_event
    def ask_delete(self, workflow_id: str):
        """Show the confirmation for deleting one workflow."""
        self.confirm_delete = workflow_id

    @rx.event
    @studio_event
    def cancel_delete(self):
        """Keep the workflow."""
        self.confirm_delete = ""

    @rx.event
    @studio_event
    async def delete(self, workflow_id: str):
        """Delete a workflow (jobs already started keep running), then list again."""
        self.confirm_delete = ""
        name = next((row.name for row in self.workflows if row.id == workflow_id), workflow_id)
        try:
            async with connection.open_client() as fs:
                await fs.workflows_api.delete_workflow(workflow_id)
        except FilestackError as err:
            yield rx.toast.error(f"Could not delete “{name}”: {err}")
            return
        self.workflows = [row for row in self.workflows if row.id != workflow_id]
        yield rx.toast.success(f"Deleted “{name}”.")
