"""The page at ``/workflows``: every workflow, with new, open, duplicate and delete."""

import reflex as rx

from dashboard.components.studio_shell import (
    CARD,
    DANGER,
    GHOST,
    PRIMARY,
    SECONDARY,
    empty_state,
    error_banner,
    page_header,
    studio_page,
)
from dashboard.state.studio import StudioState
from dashboard.state.workflows import WorkflowListState as List

ON_LOAD = [StudioState.check_access, List.load]


def delete_confirmation(row) -> rx.Component:
    """Asks before a workflow is deleted."""
    return rx.el.div(
        rx.el.span(
            "Delete “", row.name, "”? Jobs already started keep running.", class_name="text-xs text-rose-800"
        ),
        rx.el.div(
            rx.el.button("Cancel", type="button", on_click=List.cancel_delete, class_name=GHOST + " text-xs"),
            rx.el.button(
                "Delete",
                type="button",
                id="confirm-delete-" + row.id,
                on_click=List.delete(row.id),
                class_name=DANGER + " text-xs",
            ),
            class_name="flex gap-1",
        ),
        class_name="flex flex-wrap items-center justify-between gap-2 rounded-md bg-rose-50 px-3 py-2",
    )


def workflow_item(row) -> rx.Component:
    """One workflow in the list."""
    return rx.el.li(
        rx.el.div(
            rx.el.div(
                rx.el.a(
                    row.name,
                    href="/workflows/" + row.id,
                    class_name="truncate text-sm font-semibold text-slate-900 hover:text-indigo-700",
                ),
                rx.cond(
                    row.used_by != "",
                    rx.el.span(
                        row.used_by,
                        class_name="rounded-full bg-indigo-50 px-2 py-0.5 text-[11px] "
                        "font-medium text-indigo-700",
                    ),
                ),
                class_name="flex flex-wrap items-center gap-2",
            ),
            rx.el.p(
                rx.el.code(row.id, class_name="font-mono text-[11px] text-slate-400"),
                class_name="truncate",
            ),
            rx.el.p(
                rx.el.span(row.task_count.to_string(), " task(s): ", class_name="text-slate-500"),
                rx.el.span(row.actions, class_name="font-mono text-slate-700"),
                class_name="mt-1 truncate text-xs",
            ),
            rx.cond(
                row.webhook != "",
                rx.el.p(
                    rx.icon("webhook", class_name="h-3 w-3"),
                    row.webhook,
                    class_name="mt-0.5 flex items-center gap-1 truncate font-mono text-[11px] text-slate-500",
                ),
            ),
            class_name="min-w-0 flex-1",
        ),
        rx.el.div(
            rx.el.span("Updated ", row.updated, class_name="hidden text-[11px] text-slate-400 lg:block"),
            rx.el.a(
                rx.icon("pencil", class_name="h-3.5 w-3.5"),
                "Edit",
                href="/workflows/" + row.id,
                class_name=SECONDARY + " text-xs",
            ),
            rx.el.a(
                rx.icon("history", class_name="h-3.5 w-3.5"),
                "Jobs",
                href="/jobs?workflow=" + row.id,
                class_name=GHOST + " text-xs",
            ),
            rx.el.button(
                rx.icon("copy", class_name="h-3.5 w-3.5"),
                "Duplicate",
                type="button",
                id="duplicate-" + row.id,
                on_click=List.duplicate(row.id),
                class_name=GHOST + " text-xs",
            ),
            rx.el.button(
                rx.icon("trash-2", class_name="h-3.5 w-3.5"),
                "Delete",
                type="button",
                id="delete-" + row.id,
                on_click=List.ask_delete(row.id),
                class_name=GHOST + " text-xs",
            ),
            class_name="flex shrink-0 flex-wrap items-center gap-1",
        ),
        rx.cond(List.confirm_delete == row.id, rx.el.div(delete_confirmation(row), class_name="w-full")),
        id="workflow-" + row.id,
        class_name="flex flex-col gap-3 border-t border-slate-100 px-4 py-3 first:border-t-0 sm:flex-row "
        "sm:flex-wrap sm:items-center",
    )


def workflows_page() -> rx.Component:
    """The page at ``/workflows``."""
    return studio_page(
        page_header(
            "Workflows",
            "Tasks, the conditions between them, and a test run on a sample photo.",
            rx.el.a(rx.icon("history", class_name="h-4 w-4"), "Jobs", href="/jobs", class_name=SECONDARY),
            rx.el.a(
                rx.icon("plus", class_name="h-4 w-4"),
                "New workflow",
                href="/workflows/new",
                id="new-workflow",
                class_name=PRIMARY,
            ),
        ),
        error_banner(List.error),
        rx.cond(
            List.workflows.length() > 0,
            rx.el.ul(rx.foreach(List.workflows, workflow_item), id="workflow-list", class_name=CARD),
            rx.cond(
                List.loading,
                rx.el.p("Loading…", class_name="text-sm text-slate-500"),
                empty_state(
                    "workflow",
                    "No workflows yet",
                    "Create one to process uploads.",
                    rx.el.a("New workflow", href="/workflows/new", class_name=PRIMARY),
                ),
            ),
        ),
    )
