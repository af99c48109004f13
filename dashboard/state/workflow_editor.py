"""WorkflowEditorState: one workflow edited as forms generated from the action contracts.

The draft (``_body``) is the exact JSON body ``POST``/``PUT /workflows`` receives; every
handler edits it through :mod:`dashboard.workflow_draft` and then :meth:`_show` renders the
forms, the JSON tab and the graph from it. Saving goes through the client; a refused
workflow puts each of the API's messages at the field it names.
"""

from __future__ import annotations

import copy
from typing import Any

import reflex as rx

from dashboard import connection
from dashboard import workflow_draft as draft
from dashboard.filestack import FilestackError, FilestackNotFound, WorkflowRejected
from dashboard.job_views import when
from dashboard.state.studio import StudioState, studio_event
from dashboard.workflow_editor_view import RAW_PARAMS, TaskRow, editor_view, specs_for
from dashboard.workflow_forms import ABSENT, loose_value, path_from_text, value_from_text
from dashboard.workflow_graph import graph_of

#: The route segment of a workflow not saved yet.
NEW = "new"


class WorkflowEditorState(StudioState):
    """The page at ``/workflows/[workflow_id]``."""

    workflow_id: str = ""
    loaded: bool = False
    load_error: str = ""
    updated: str = ""

    name: str = ""
    webhook: str = ""
    tasks: list[TaskRow] = []
    name_error: str = ""
    webhook_error: str = ""
    tasks_error: str = ""
    general_error: str = ""

    json_text: str = ""
    json_error: str = ""
    graph_nodes: list[dict[str, Any]] = []
    graph_edges: list[dict[str, Any]] = []

    action_names: list[str] = []
    new_task_action: str = "process"
    tab: str = "form"
    dirty: bool = False
    saving: bool = False
    #: The person clicked Delete and is asked to confirm.
    confirm_delete: bool = False
    #: Bumped when the draft is replaced or reshaped, so uncontrolled inputs show the new values.
    revision: int = 0

    _body: dict[str, Any] = {}
    _saved: dict[str, Any] = {}
    _contracts: dict[str, dict[str, Any]] = {}
    _problems: dict[str, str] = {}
    #: Each task's state in the last test run, colouring the graph.
    _run_states: dict[str, str] = {}

    @rx.var
    def is_new(self) -> bool:
        """True until the workflow has been saved once."""
        return self.workflow_id in ("", NEW)

    # -- loading -------------------------------------------------------------

    @rx.event
    @studio_event
    async def load_page(self):
        """``on_load``: the workflow named by the URL (``new`` starts an empty draft)."""
        async for event in self._load(self._route_arg(NEW)):
            yield event

    @rx.event
    @studio_event
    async def load(self, workflow_id: str):
        """Load one workflow (or ``new``) and the action contracts."""
        async for event in self._load(workflow_id):
            yield event

    async def _load(self, workflow_id: str):
        self.loaded, self.load_error, self.workflow_id = False, "", workflow_id
        self._problems, self._run_states, self.tab, self.json_error = {}, {}, "form", ""
        self.confirm_delete = False
        try:
            async with connection.open_client() as fs:
                contracts = await fs.workflows_api.action_contracts()
                workflow = None if workflow_id == NEW else await fs.workflows_api.get_workflow(workflow_id)
        except FilestackNotFound:
            self.load_error = "There is no workflow with this id: it may have been deleted."
            return
        except (FilestackError, ValueError) as err:
            self.load_error = f"The workflow could not be read: {err}"
            return
        self._contracts = {c.name: c.model_dump(mode="json") for c in contracts}
        self.action_names = list(self._contracts)
        if workflow is None:
            self._body = draft.empty_draft()
            self._saved = {}
            self.updated = ""
        else:
            self._body = draft.normalized(workflow.definition())
            self._saved = copy.deepcopy(self._body)
            self.updated = when(workflow.updated_at)
        self.loaded = True
        self._show(reshaped=True)
        yield

    # -- rendering -------------------------------------------------------------

    def _show(self, *, reshaped: bool = False) -> None:
        """Render forms, JSON and graph from the draft."""
        view = editor_view(self._body, self._contracts, self._problems)
        self.name, self.webhook, self.tasks = view.name, view.webhook, view.tasks
        self.name_error, self.webhook_error = view.name_error, view.webhook_error
        self.tasks_error, self.general_error = view.tasks_error, view.general_error
        self.json_text = draft.to_json(self._body)
        self.graph_nodes, self.graph_edges = graph_of(self._body, self._run_states)
        self.dirty = self._body != self._saved
        if reshaped:
            self.revision += 1

    def _show_run(self, states: dict[str, str]) -> None:
        """Colour the graph's tasks by their state in a test run."""
        self._run_states = dict(states)
        self.graph_nodes, self.graph_edges = graph_of(self._body, self._run_states)

    def _edit(self, body: dict[str, Any], *, clears: tuple[str, ...] = (), reshaped: bool = False) -> None:
        """Take an edited draft; the problems of the edited places are gone (all of them when
        ``reshaped``: tasks or requirements moved, so the places no longer match)."""
        self._body = body
        if reshaped:
            self._problems = {}
        else:
            self._problems = {
                key: message
                for key, message in self._problems.items()
                if not any(key == c or key.startswith(c + ".") for c in clears)
            }
        self._show(reshaped=reshaped)

    async def _apply(self, change, *args: Any, clears: tuple[str, ...] = (), reshaped: bool = False):
        """Apply one draft edit if this person may; a bad edit is reported, nothing is lost."""
        if not self.loaded:
            return None
        try:
            self._edit(change(self._body, *args), clears=clears, reshaped=reshaped)
        except draft.DraftError as err:
            return rx.toast.error(str(err))
        return None

    # -- workflow fields -------------------------------------------------------

    @rx.event
    @studio_event
    async def set_name(self, name: str):
        """Rename the workflow."""
        return await self._apply(draft.set_name, name, clears=("name",))

    @rx.event
    @studio_event
    async def set_webhook(self, webhook: str):
        """Where the job's result is posted when it ends (empty: nowhere)."""
        return await self._apply(draft.set_webhook, webhook, clears=("webhook",))

    @rx.event
    @studio_event
    def set_new_task_action(self, action: str):
        """Which action the "Add task" button adds."""
        self.new_task_action = action

    @rx.event
    @studio_event
    def set_tab(self, tab: str):
        """Show the forms or the JSON body."""
        self.tab = tab if tab in ("form", "json") else "form"
        self.json_error = ""

    # -- tasks -----------------------------------------------------------------

    @rx.event
    @studio_event
    async def add_task(self):
        """Add a task running the chosen action."""
        action = self.new_task_action if self.new_task_action in self._contracts else None
        if action is None:
            return rx.toast.error("Choose an action first.")
        return await self._apply(draft.add_task, action, reshaped=True)

    @rx.event
    @studio_event
    async def remove_task(self, index: int):
        """Remove a task and the requirements on it."""
        return await self._apply(draft.remove_task, index, reshaped=True)

    @rx.event
    @studio_event
    async def move_task(self, index: int, offset: int):
        """Move a task up or down."""
        return await self._apply(draft.move_task, index, offset, reshaped=True)

    @rx.event
    @studio_event
    async def set_task_id(self, index: int, task_id: str):
        """Rename a task (the requirements on it follow)."""
        return await self._apply(
            draft.set_task_id, index, task_id, clears=(f"tasks.{index}.id",), reshaped=False
        )

    @rx.event
    @studio_event
    async def set_action(self, index: int, action: str):
        """Change a task's action; its params start over."""
        return await self._apply(draft.set_action, index, action, reshaped=True)

    @rx.event
    @studio_event
    async def set_param(self, index: int, name: str, text: str):
        """Set one param from the text of its field (empty: the action's default)."""
        if not 0 <= index < len(self._body.get("tasks", [])):
            return None
        action = str(self._body["tasks"][index].get("action") or "")
        specs = {spec.name: spec for spec in specs_for(self._contracts.get(action))}
        spec = specs.get(name, RAW_PARAMS if not name else None)
        if spec is None:
            return rx.toast.error(f"{action} has no param {name!r}.")
        clears = (f"tasks.{index}.params.{name}" if name else f"tasks.{index}.params",)
        value = value_from_text(spec, text)
        if spec is RAW_PARAMS:
            return await self._apply(draft.set_params, index, {} if value is ABSENT else value, clears=clears)
        return await self._apply(draft.set_param, index, name, value, clears=clears)

    # -- requirements ------------------------------------------------------------

    @rx.event
    @studio_event
    async def add_requirement(self, index: int):
        """Make a task wait for another one."""
        return await self._apply(draft.add_requirement, index, reshaped=True)

    @rx.event
    @studio_event
    async def remove_requirement(self, index: int, position: int):
        """Drop one requirement."""
        return await self._apply(draft.remove_requirement, index, position, reshaped=True)

    @rx.event
    @studio_event
    async def set_requirement_task(self, index: int, position: int, task: str):
        """What the requirement waits for."""
        return await self._apply(
            draft.set_requirement_task, index, position, task, clears=(f"tasks.{index}.requires",)
        )

    @rx.event
    @studio_event
    async def set_condition_type(self, index: int, position: int, kind: str):
        """The comparison (none: run once the task is done).

        The path and value fields keep what they show (a new type keeps both; a condition added
        or removed mounts or unmounts them), so the form is not redrawn: typing into the value
        right after choosing the type is never overwritten by this change arriving late.
        """
        return await self._apply(
            draft.set_condition_type, index, position, kind, clears=(f"tasks.{index}.requires.{position}",)
        )

    @rx.event
    @studio_event
    async def set_condition_value(self, index: int, position: int, text: str):
        """The value compared with (JSON when it reads as JSON, else text)."""
        return await self._apply(
            draft.set_condition_value,
            index,
            position,
            loose_value(text),
            clears=(f"tasks.{index}.requires.{position}.condition.value",),
        )

    @rx.event
    @studio_event
    async def set_condition_path(self, index: int, position: int, text: str):
        """Where in the required task's result the value is read (``nsfw``, ``x.0.y``)."""
        return await self._apply(
            draft.set_condition_path,
            index,
            position,
            path_from_text(text),
            clears=(f"tasks.{index}.requires.{position}.condition.path",),
        )

    # -- JSON tab ----------------------------------------------------------------

    @rx.event
    @studio_event
    async def apply_json(self, form: dict[str, Any]):
        """Replace the draft with the JSON typed in the JSON tab."""
        if not self.loaded:
            return
        try:
            body = draft.from_json(str(form.get("json", "")))
        except draft.DraftError as err:
            self.json_error = str(err)
            return
        self.json_error = ""
        self._edit(body, reshaped=True)
        self.tab = "form"

    # -- saving -----------------------------------------------------------------

    @rx.event
    @studio_event
    async def save(self):
        """Create or replace the workflow through the REST API."""
        if not self.loaded or self.saving:
            return
        self.saving = True
        yield
        body = copy.deepcopy(self._body)
        try:
            async with connection.open_client() as fs:
                if self.is_new:
                    saved = await fs.workflows_api.create_workflow(body)
                else:
                    saved = await fs.workflows_api.update_workflow(self.workflow_id, body)
        except WorkflowRejected as err:
            self.saving = False
            self._problems = {}
            for problem in err.problems:
                self._problems[problem.key] = (
                    f"{self._problems[problem.key]}; {problem.message}"
                    if problem.key in self._problems
                    else problem.message
                )
            self._show()
            yield rx.toast.error("The workflow was not saved: see the highlighted fields.")
            return
        except FilestackError as err:
            self.saving = False
            yield rx.toast.error(f"The workflow was not saved: {err}")
            return
        self.saving, self._problems = False, {}
        self._saved = copy.deepcopy(self._body)
        self.updated = when(saved.updated_at)
        created = self.is_new
        self.workflow_id = saved.id
        self._show()
        yield rx.toast.success(f"Saved “{saved.name}”.")
        if created:
            yield rx.redirect(f"/workflows/{saved.id}")

    @rx.event
    @studio_event
    def ask_delete(self, asking: bool):
        """Show (or hide) the confirmation before deleting."""
        self.confirm_delete = asking

    @rx.event
    @studio_event
    async def delete(self):
        """Delete this workflow and go back to the list."""
        self.confirm_delete = False
        if self.is_new:
            return
        try:
            async with connection.open_client() as fs:
                await fs.workflows_api.delete_workflow(self.workflow_id)
        except FilestackError as err:
            yield rx.toast.error(f"Could not delete: {err}")
            return
        yield rx.toast.success(f"Deleted “{self.name}”.")
        yield rx.redirect("/workflows")
