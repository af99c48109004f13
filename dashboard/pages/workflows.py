"""The workflows page: each workflow's tasks and the conditions between them (read-only)."""

import reflex as rx

from dashboard.components.layout import page
from dashboard.state import SessionState, WorkflowsState
from dashboard.state.rows import WorkflowRow, WorkflowTaskRow


def task_row(task: WorkflowTaskRow) -> rx.Component:
    """One task of a workflow."""
    return rx.el.tr(
        rx.el.td(task.id, class_name="py-2 pr-4 font-medium text-slate-900"),
        rx.el.td(task.action, class_name="py-2 pr-4"),
        rx.el.td(rx.el.code(task.params, class_name="break-all text-xs"), class_name="py-2 pr-4"),
        rx.el.td(task.requires, class_name="py-2 text-slate-600"),
        class_name="border-t border-slate-100 align-top",
    )


def workflow_card(workflow: WorkflowRow) -> rx.Component:
    """One workflow."""
    return rx.el.article(
        rx.el.div(
            rx.el.h2(workflow.name, class_name="text-lg font-semibold text-slate-900"),
            rx.el.code(workflow.id, class_name="text-xs text-slate-500"),
            class_name="flex flex-wrap items-baseline justify-between gap-2",
        ),
        rx.el.div(
            rx.el.table(
                rx.el.thead(
                    rx.el.tr(
                        rx.el.th("Task", class_name="pb-2 pr-4 font-medium"),
                        rx.el.th("Action", class_name="pb-2 pr-4 font-medium"),
                        rx.el.th("Params", class_name="pb-2 pr-4 font-medium"),
                        rx.el.th("Runs when", class_name="pb-2 font-medium"),
                        class_name="text-left text-xs uppercase tracking-wide text-slate-500",
                    )
                ),
                rx.el.tbody(rx.foreach(workflow.tasks, task_row)),
                class_name="w-full text-sm",
            ),
            class_name="overflow-x-auto",
        ),
        class_name="flex flex-col gap-3 rounded-xl border border-slate-200 bg-white p-5 shadow-sm",
    )


def workflows_page() -> rx.Component:
    """The page at ``/workflows``."""
    return page(
        rx.el.h1("Workflows", class_name="mb-1 text-2xl font-bold tracking-tight text-slate-900"),
        rx.el.p(
            "What runs on each upload. Tasks run as soon as what they require is done and its condition holds.",
            class_name="mb-4 text-sm text-slate-600",
        ),
        rx.cond(WorkflowsState.error != "", rx.el.p(WorkflowsState.error, class_name="mb-4 text-sm text-rose-700")),
        rx.el.div(rx.foreach(WorkflowsState.workflows, workflow_card), class_name="flex flex-col gap-4"),
    )
WORKFLOWS_ON_LOAD = [SessionState.require_account, WorkflowsState.load]
