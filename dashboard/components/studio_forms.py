"""The editor's forms: the workflow's fields, one card per task with its params generated from
the action's contract, and the requirements editor. Text inputs send their value when they
lose focus; selects at once. Each field shows the API's message about it."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.components.studio_shell import (
    CARD,
    GHOST,
    ICON_BUTTON,
    INPUT,
    INPUT_INVALID,
    LABEL,
    MONO_INPUT,
    PANEL_TITLE,
    SECONDARY,
    SELECT_INLINE,
    field_error,
)
from dashboard.state.workflow_editor import WorkflowEditorState as Editor

CONDITION_LABELS = (
    ("", "when done"),
    ("gt", "greater than"),
    ("lt", "less than"),
    ("equals", "equals"),
    ("includes", "includes"),
)


def _input_class(error: Any, mono: bool = False) -> Any:
    ok = MONO_INPUT if mono else INPUT
    bad = INPUT_INVALID + (" font-mono text-xs" if mono else "")
    return rx.cond(error != "", bad, ok)


def _key(*parts: Any) -> Any:
    """A React key that changes when the draft is reshaped, so inputs show the new values."""
    key: Any = Editor.revision.to_string()
    for part in parts:
        key = key + "-" + (part.to_string() if isinstance(part, rx.Var) else str(part))
    return key


def text_field(
    label: str,
    element_id: Any,
    value: Any,
    on_blur: Any,
    error: Any,
    *extra: rx.Component,
    placeholder: Any = "",
    help_text: str = "",
    mono: bool = False,
    list_id: Any = None,
    key: Any = None,
) -> rx.Component:
    """A labelled one-line input sending its text when it loses focus, with the API's message under it."""
    return rx.el.div(
        rx.el.label(label, html_for=element_id, class_name=LABEL),
        rx.el.input(
            id=element_id,
            default_value=value,
            placeholder=placeholder,
            list=list_id,
            on_blur=on_blur,
            key=key if key is not None else _key(element_id),
            aria_invalid=rx.cond(error != "", "true", "false"),
            class_name=_input_class(error, mono),
        ),
        *extra,
        rx.el.p(help_text, class_name="mt-1 text-xs text-slate-500") if help_text else rx.fragment(),
        field_error(error, element_id + "-error"),
        class_name="min-w-0",
    )


def workflow_fields() -> rx.Component:
    """Name and webhook."""
    return rx.el.section(
        rx.el.div(
            text_field(
                "Name",
                "workflow-name",
                Editor.name,
                Editor.set_name,
                Editor.name_error,
                placeholder="e.g. Profile picture",
            ),
            text_field(
                "Webhook",
                "workflow-webhook",
                Editor.webhook,
                Editor.set_webhook,
                Editor.webhook_error,
                placeholder="https://example.com/hooks/filestack (optional)",
                help_text="Receives the job's result when it ends, signed with FS-Signature.",
                mono=True,
            ),
            class_name="grid grid-cols-1 gap-4 sm:grid-cols-2",
        ),
        class_name=f"{CARD} p-4",
    )


def _param_input(task: Any, param: Any) -> rx.Component:
    on_blur = Editor.set_param(task.index, param.name)
    common = {"id": param.dom_id, "aria_invalid": rx.cond(param.error != "", "true", "false")}
    default_option = rx.el.option(param.placeholder, value="")
    return rx.match(
        param.kind,
        (
            "choice",
            rx.el.select(
                default_option,
                rx.foreach(param.choices, lambda choice: rx.el.option(choice, value=choice)),
                value=param.value,
                on_change=Editor.set_param(task.index, param.name),
                class_name=_input_class(param.error),
                **common,
            ),
        ),
        (
            "boolean",
            rx.el.select(
                default_option,
                rx.el.option("true", value="true"),
                rx.el.option("false", value="false"),
                value=param.value,
                on_change=Editor.set_param(task.index, param.name),
                class_name=_input_class(param.error),
                **common,
            ),
        ),
        (
            "integer",
            "number",
            rx.el.input(
                type="text",
                input_mode=rx.cond(param.kind == "integer", "numeric", "decimal"),
                default_value=param.value,
                placeholder=param.placeholder,
                on_blur=on_blur,
                key=_key(param.dom_id),
                class_name=_input_class(param.error),
                **common,
            ),
        ),
        (
            "json",
            rx.el.textarea(
                default_value=param.value,
                placeholder=param.placeholder,
                on_blur=on_blur,
                rows=3,
                key=_key(param.dom_id),
                class_name=_input_class(param.error, True),
                **common,
            ),
        ),
        rx.cond(
            param.multiline,
            rx.el.textarea(
                default_value=param.value,
                placeholder=param.placeholder,
                on_blur=on_blur,
                rows=2,
                key=_key(param.dom_id),
                class_name=_input_class(param.error, True),
                **common,
            ),
            rx.el.input(
                type="text",
                default_value=param.value,
                placeholder=param.placeholder,
                on_blur=on_blur,
                key=_key(param.dom_id),
                class_name=_input_class(param.error, True),
                **common,
            ),
        ),
    )


def param_field(task: Any, param: Any) -> rx.Component:
    """One param: label, input by type, help (description, range, default) and the API's message."""
    return rx.el.div(
        rx.el.label(
            param.label,
            rx.cond(param.required, rx.el.span(" *", class_name="text-rose-600", aria_hidden="true")),
            rx.el.code(param.name, class_name="ml-1.5 font-mono text-[11px] font-normal text-slate-500"),
            html_for=param.dom_id,
            class_name=LABEL,
        ),
        _param_input(task, param),
        rx.el.p(
            param.help,
            rx.cond(
                param.range_text != "",
                rx.el.span(" Range ", param.range_text, ".", class_name="text-slate-500"),
            ),
            class_name="mt-1 text-xs text-slate-500",
        ),
        field_error(param.error, param.dom_id + "-error"),
        class_name="min-w-0",
    )


def _requirement_task_select(task: Any, requirement: Any) -> rx.Component:
    return rx.el.select(
        rx.cond(requirement.task == "", rx.el.option("choose a task", value="")),
        rx.el.optgroup(
            rx.foreach(task.task_options, lambda option: rx.el.option(option, value=option)),
            label="Tasks of this workflow",
        ),
        rx.el.optgroup(
            rx.foreach(task.builtin_options, lambda option: rx.el.option(option, value=option)),
            label="Built-in actions (run implicitly)",
        ),
        id=requirement.dom_id + "-task",
        value=requirement.task,
        on_change=Editor.set_requirement_task(task.index, requirement.position),
        aria_label="Required task",
        class_name=_input_class(requirement.task_error),
    )


def _condition_input(
    task: Any,
    requirement: Any,
    part: str,
    label: str,
    value: Any,
    error: Any,
    handler: Any,
    placeholder: Any,
    *extra: rx.Component,
) -> rx.Component:
    """The path or the value of a condition."""
    return text_field(
        label,
        requirement.dom_id + "-" + part,
        value,
        handler(task.index, requirement.position),
        error,
        *extra,
        placeholder=placeholder,
        mono=True,
        list_id=requirement.dom_id + "-paths" if part == "path" else None,
        key=_key(requirement.dom_id, part),
    )


def requirement_row(task: Any, requirement: Any) -> rx.Component:
    """One requirement: the task waited for, the comparison, the path into its result and the value."""
    return rx.el.li(
        rx.el.div(
            rx.el.div(
                rx.el.label("After", html_for=requirement.dom_id + "-task", class_name=LABEL),
                _requirement_task_select(task, requirement),
                field_error(requirement.task_error, requirement.dom_id + "-task-error"),
                class_name="min-w-0",
            ),
            rx.el.div(
                rx.el.label("Condition", html_for=requirement.dom_id + "-type", class_name=LABEL),
                rx.el.select(
                    *[rx.el.option(label, value=value) for value, label in CONDITION_LABELS],
                    id=requirement.dom_id + "-type",
                    value=requirement.condition,
                    on_change=Editor.set_condition_type(task.index, requirement.position),
                    class_name=_input_class(requirement.condition_error),
                ),
                field_error(requirement.condition_error, requirement.dom_id + "-type-error"),
                class_name="min-w-0",
            ),
            rx.cond(
                requirement.condition != "",
                _condition_input(
                    task,
                    requirement,
                    "path",
                    "Path in its result",
                    requirement.path,
                    requirement.path_error,
                    Editor.set_condition_path,
                    "e.g. nsfw or x.0.y",
                    rx.el.datalist(
                        rx.foreach(requirement.path_hints, lambda hint: rx.el.option(value=hint)),
                        id=requirement.dom_id + "-paths",
                    ),
                ),
            ),
            rx.cond(
                requirement.condition != "",
                _condition_input(
                    task,
                    requirement,
                    "value",
                    "Value",
                    requirement.value,
                    requirement.value_error,
                    Editor.set_condition_value,
                    rx.match(requirement.condition, ("gt", "a number"), ("lt", "a number"), "JSON or text"),
                ),
            ),
            class_name="grid flex-1 grid-cols-1 gap-3 sm:grid-cols-2 xl:grid-cols-4",
        ),
        rx.el.div(
            rx.el.code(
                requirement.summary,
                class_name="rounded bg-indigo-50 px-1.5 py-0.5 text-[11px] text-indigo-700",
            ),
            rx.el.button(
                rx.icon("x", class_name="h-4 w-4"),
                type="button",
                title="Remove this requirement",
                aria_label="Remove requirement",
                on_click=Editor.remove_requirement(task.index, requirement.position),
                class_name=ICON_BUTTON,
            ),
            class_name="flex items-center gap-2 sm:flex-col sm:items-end",
        ),
        field_error(requirement.error, requirement.dom_id + "-error"),
        id=requirement.dom_id,
        class_name="flex flex-col gap-3 rounded-lg border border-slate-200 bg-slate-50/60 p-3 sm:flex-row",
    )


def _task_header(task: Any) -> rx.Component:
    return rx.el.div(
        rx.el.span(
            (task.index + 1).to_string(),
            class_name="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-slate-900 text-xs "
            "font-semibold text-white",
        ),
        rx.el.div(
            rx.el.label("Task id", html_for=task.dom_id + "-id", class_name="sr-only"),
            rx.el.input(
                id=task.dom_id + "-id",
                default_value=task.id,
                placeholder=task.action,
                on_blur=Editor.set_task_id(task.index),
                key=_key(task.dom_id, "id"),
                class_name=_input_class(task.id_error, True),
            ),
            field_error(task.id_error, task.dom_id + "-id-error"),
            class_name="min-w-[8rem] flex-1",
        ),
        rx.el.div(
            rx.el.label("Action", html_for=task.dom_id + "-action", class_name="sr-only"),
            rx.el.select(
                rx.foreach(Editor.action_names, lambda name: rx.el.option(name, value=name)),
                rx.cond(
                    Editor.action_names.contains(task.action),
                    rx.fragment(),
                    rx.el.option(task.action, value=task.action),
                ),
                id=task.dom_id + "-action",
                value=task.action,
                on_change=Editor.set_action(task.index),
                class_name=_input_class(task.action_error),
            ),
            field_error(task.action_error, task.dom_id + "-action-error"),
            class_name="order-last w-full sm:order-none sm:w-40",
        ),
        rx.el.div(
            rx.el.button(
                rx.icon("arrow-up", class_name="h-4 w-4"),
                type="button",
                title="Move up",
                aria_label="Move task up",
                disabled=task.index == 0,
                on_click=Editor.move_task(task.index, -1),
                class_name=ICON_BUTTON,
            ),
            rx.el.button(
                rx.icon("arrow-down", class_name="h-4 w-4"),
                type="button",
                title="Move down",
                aria_label="Move task down",
                disabled=task.index == Editor.tasks.length() - 1,
                on_click=Editor.move_task(task.index, 1),
                class_name=ICON_BUTTON,
            ),
            rx.el.button(
                rx.icon("trash-2", class_name="h-4 w-4"),
                type="button",
                title="Remove task",
                aria_label="Remove task",
                on_click=Editor.remove_task(task.index),
                class_name=ICON_BUTTON + " hover:text-rose-600",
            ),
            class_name="flex shrink-0 items-center",
        ),
        class_name="flex flex-wrap items-start gap-2",
    )


def task_card(task: Any) -> rx.Component:
    """One task: id, action, params from the contract, requirements."""
    return rx.el.article(
        _task_header(task),
        rx.cond(task.description != "", rx.el.p(task.description, class_name="mt-2 text-xs text-slate-500")),
        rx.cond(
            task.params.length() > 0,
            rx.el.div(
                rx.el.h4("Params", class_name="text-xs font-semibold uppercase tracking-wide text-slate-500"),
                rx.cond(
                    task.params_help != "", rx.el.p(task.params_help, class_name="text-xs text-slate-500")
                ),
                rx.el.div(
                    rx.foreach(task.params, lambda param: param_field(task, param)),
                    class_name="grid grid-cols-1 gap-3 sm:grid-cols-2",
                ),
                field_error(task.params_error, task.dom_id + "-params-error"),
                class_name="mt-3 flex flex-col gap-2 border-t border-slate-100 pt-3",
            ),
            rx.el.p("No params.", class_name="mt-3 border-t border-slate-100 pt-3 text-xs text-slate-500"),
        ),
        rx.el.div(
            rx.el.div(
                rx.el.h4(
                    "Runs after", class_name="text-xs font-semibold uppercase tracking-wide text-slate-500"
                ),
                rx.el.button(
                    rx.icon("plus", class_name="h-3.5 w-3.5"),
                    "Add requirement",
                    type="button",
                    id=task.dom_id + "-add-requirement",
                    on_click=Editor.add_requirement(task.index),
                    class_name=GHOST + " text-xs",
                ),
                class_name="flex items-center justify-between",
            ),
            rx.cond(
                task.requires.length() > 0,
                rx.el.ul(
                    rx.foreach(task.requires, lambda r: requirement_row(task, r)),
                    class_name="flex flex-col gap-2",
                ),
                rx.el.p("Runs as soon as the job starts.", class_name="text-xs text-slate-500"),
            ),
            field_error(task.requires_error, task.dom_id + "-requires-error"),
            class_name="mt-3 flex flex-col gap-2 border-t border-slate-100 pt-3",
        ),
        field_error(task.error, task.dom_id + "-error"),
        id=task.dom_id,
        class_name=f"{CARD} p-4",
    )


def add_task_bar() -> rx.Component:
    """Choose an action and add a task running it."""
    return rx.el.div(
        rx.el.label("New task's action", html_for="new-task-action", class_name="sr-only"),
        rx.el.select(
            rx.foreach(Editor.action_names, lambda name: rx.el.option(name, value=name)),
            id="new-task-action",
            value=Editor.new_task_action,
            on_change=Editor.set_new_task_action,
            class_name=SELECT_INLINE + " min-w-0 flex-1 sm:w-48 sm:flex-none",
        ),
        rx.el.button(
            rx.icon("plus", class_name="h-4 w-4"),
            "Add task",
            type="button",
            id="add-task",
            on_click=Editor.add_task,
            class_name=SECONDARY,
        ),
        class_name="flex items-center gap-2 rounded-xl border border-dashed border-slate-300 bg-white/60 p-3",
    )


def form_tab() -> rx.Component:
    """The workflow as forms."""
    return rx.el.div(
        workflow_fields(),
        rx.el.div(
            rx.el.h2("Tasks", class_name=PANEL_TITLE),
            rx.el.span(Editor.tasks.length().to_string(), " task(s)", class_name="text-xs text-slate-500"),
            class_name="flex items-baseline justify-between px-1",
        ),
        field_error(Editor.tasks_error, "tasks-error"),
        rx.foreach(Editor.tasks, task_card),
        add_task_bar(),
        class_name="flex flex-col gap-3",
    )


def json_tab() -> rx.Component:
    """The exact body sent, editable."""
    return rx.el.form(
        rx.el.p(
            "The exact body sent to ",
            rx.el.code(
                rx.cond(Editor.is_new, "POST /workflows", "PUT /workflows/" + Editor.workflow_id),
                class_name="font-mono text-xs",
            ),
            ". Edit it and apply to load it into the forms.",
            class_name="text-xs text-slate-500",
        ),
        rx.el.textarea(
            name="json",
            id="workflow-json",
            default_value=Editor.json_text,
            key=Editor.json_text,
            rows=24,
            spell_check=False,
            class_name="mt-2 block w-full rounded-lg border border-slate-300 bg-slate-950 p-3 font-mono "
            "text-xs leading-relaxed text-slate-100 focus:border-indigo-500 focus:outline-none focus:ring-1 "
            "focus:ring-indigo-500",
        ),
        field_error(Editor.json_error, "workflow-json-error"),
        rx.el.div(
            rx.el.button("Apply JSON", type="submit", id="apply-json", class_name=SECONDARY),
            class_name="mt-2 flex justify-end",
        ),
        on_submit=Editor.apply_json,
        class_name=f"{CARD} p-4",
    )


def editor_tabs() -> rx.Component:
    """Form and JSON tabs."""

    def tab(value: str, label: str, icon: str) -> rx.Component:
        return rx.el.button(
            rx.icon(icon, class_name="h-4 w-4"),
            label,
            type="button",
            role="tab",
            id=f"tab-{value}",
            aria_selected=rx.cond(Editor.tab == value, "true", "false"),
            on_click=Editor.set_tab(value),
            class_name=rx.cond(
                Editor.tab == value,
                "inline-flex items-center gap-1.5 border-b-2 border-indigo-600 px-3 py-2 text-sm "
                "font-medium text-indigo-700",
                "inline-flex items-center gap-1.5 border-b-2 border-transparent px-3 py-2 text-sm "
                "font-medium "
                "text-slate-500 hover:text-slate-800",
            ),
        )

    return rx.el.div(
        rx.el.div(
            tab("form", "Form", "list-checks"),
            tab("json", "JSON", "braces"),
            role="tablist",
            class_name="mb-3 flex gap-1 border-b border-slate-200",
        ),
        rx.cond(Editor.tab == "json", json_tab(), form_tab()),
    )
