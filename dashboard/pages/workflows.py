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


def task_line(task) -> rx.Component:
    """One task of a workflow, its parameters and when it runs, in words."""
    return rx.el.li(
        rx.el.span(
            rx.el.code(task.id, class_name="font-mono font-medium text-slate-900"),
            " · ",
            rx.el.span(task.action, class_name="text-slate-700"),
        ),
        rx.cond(task.params != "", rx.el.span(" · ", task.params, class_name="text-slate-700")),
        rx.cond(task.requires != "", rx.el.span(" · ", task.requires, class_name="text-slate-600")),
        class_name="min-w-0 wrap-anywhere",
    )


def workflow_item(row) -> rx.Component:
    """One workflow in the list: its name, what runs it, each task in words, and its actions."""
    return rx.el.li(
        rx.el.div(
            rx.el.div(
                rx.el.a(
                    row.name,
                    href="/workflows/" + row.id,
                    class_name="min-w-0 wrap-anywhere text-sm font-semibold text-slate-900 hover:text-indigo-700 "
                    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600",
                ),
                rx.cond(
                    row.slot != "",
                    rx.el.span(
                        row.slot,
                        class_name="rounded-full bg-indigo-100 px-2 py-0.5 text-[11px] font-semibold text-indigo-800",
                    ),
                ),
                class_name="flex flex-wrap items-center gap-2",
            ),
            rx.el.p(
                row.runs,
                class_name=rx.cond(
                    row.slot != "", "text-xs font-medium text-indigo-800", "text-xs text-slate-600"
                ),
                id="runs-" + row.id,
            ),
            rx.el.p(
                rx.el.code(row.id, class_name="font-mono text-[11px] text-slate-600"),
                class_name="min-w-0 wrap-anywhere",
            ),
            rx.el.ul(
                rx.foreach(row.tasks, task_line),
                aria_label="Tasks of " + row.name,
                class_name="mt-1 flex flex-col gap-0.5 text-xs",
            ),
            rx.cond(
                row.webhook != "",
                rx.el.p(
                    rx.icon("webhook", class_name="h-3 w-3 shrink-0", aria_hidden="true"),
                    rx.el.span("Webhook: ", row.webhook, class_name="min-w-0 wrap-anywhere"),
                    class_name="mt-0.5 flex items-center gap-1 font-mono text-[11px] text-slate-600",
                ),
            ),
            class_name="min-w-0 flex-1",
        ),
        rx.el.div(
            rx.el.span("Updated ", row.updated, class_name="hidden text-[11px] text-slate-600 lg:block"),
            rx.el.a(
                rx.icon("pencil", class_name="h-3.5 w-3.5"),
                "Edit",
                href="/workflows/" + row.id,
                aria_label="Edit " + row.name,
                class_name=SECONDARY + " text-xs",
            ),
            rx.el.a(
                rx.icon("history", class_name="h-3.5 w-3.5"),
                "Jobs",
                href="/jobs?workflow=" + row.id,
                aria_label="Jobs of " + row.name,
                class_name=GHOST + " text-xs",
            ),
            rx.el.button(
                rx.icon("copy", class_name="h-3.5 w-3.5"),
                "Duplicate",
                type="button",
                id="duplicate-" + row.id,
                aria_label="Duplicate " + row.name,
                on_click=List.duplicate(row.id),
                class_name=GHOST + " text-xs",
            ),
            rx.el.button(
                rx.icon("trash-2", class_name="h-3.5 w-3.5"),
                "Delete",
                type="button",
                id="delete-" + row.id,
                aria_label="Delete " + row.name,
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
            "Two of these run on the profile's uploads, as marked; the others run only when started "
            "(a test run here, or the API).",
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
