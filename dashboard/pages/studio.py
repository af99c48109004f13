"""The page at ``/workflows/[workflow_id]``: the workflow's forms or JSON, its graph, a test run."""

import reflex as rx

from dashboard.components.flow_graph import flow_graph
from dashboard.components.studio_forms import editor_tabs
from dashboard.components.studio_run import run_panel
from dashboard.components.studio_shell import (
    CARD,
    DANGER,
    GHOST,
    PANEL_TITLE,
    PRIMARY,
    crumb,
    error_banner,
    page_header,
    studio_page,
)
from dashboard.state.sample_run import SampleRunState
from dashboard.state.studio import StudioState
from dashboard.state.workflow_editor import WorkflowEditorState as Editor

ROUTE = "/workflows/[workflow_id]"
ON_LOAD = [StudioState.check_access, Editor.load_page, SampleRunState.prepare]


def _subtitle() -> rx.Component:
    return rx.el.span(
        rx.cond(
            Editor.is_new,
            "Not saved yet",
            rx.el.code(Editor.workflow_id, id="workflow-id", class_name="font-mono text-xs text-slate-500"),
        ),
        rx.cond(Editor.updated != "", rx.el.span(" · saved ", Editor.updated)),
        rx.cond(Editor.dirty, rx.el.span(" · unsaved changes", id="unsaved", class_name="text-amber-700")),
    )


def _actions() -> list[rx.Component]:
    return [
        rx.cond(
            Editor.is_new,
            rx.fragment(),
            rx.el.a(
                rx.icon("history", class_name="h-4 w-4"),
                "Jobs",
                href="/jobs?workflow=" + Editor.workflow_id,
                class_name=GHOST,
            ),
        ),
        rx.cond(
            Editor.is_new,
            rx.fragment(),
            rx.cond(
                Editor.confirm_delete,
                rx.el.span(
                    rx.el.span("Delete this workflow?", class_name="text-xs text-rose-800"),
                    rx.el.button(
                        "Cancel",
                        type="button",
                        on_click=Editor.ask_delete(False),
                        class_name=GHOST + " text-xs",
                    ),
                    rx.el.button(
                        "Delete",
                        type="button",
                        id="confirm-delete-workflow",
                        on_click=Editor.delete,
                        class_name=DANGER + " text-xs",
                    ),
                    class_name="flex items-center gap-1 rounded-md bg-rose-50 px-2 py-1",
                ),
                rx.el.button(
                    rx.icon("trash-2", class_name="h-4 w-4"),
                    "Delete",
                    type="button",
                    id="delete-workflow",
                    on_click=Editor.ask_delete(True),
                    class_name=DANGER,
                ),
            ),
        ),
        rx.el.button(
            rx.icon("save", class_name="h-4 w-4"),
            rx.cond(Editor.saving, "Saving…", rx.cond(Editor.is_new, "Create", "Save")),
            type="button",
            id="save-workflow",
            disabled=Editor.saving | ~(Editor.dirty | Editor.is_new),
            on_click=Editor.save,
            class_name=PRIMARY,
        ),
    ]


def graph_panel() -> rx.Component:
    """The workflow as a graph, coloured by the last test run."""
    return rx.el.section(
        rx.el.div(
            rx.el.h2("Graph", class_name=PANEL_TITLE),
            rx.el.span(
                "edges: what a task waits for, and the condition", class_name="text-[11px] text-slate-500"
            ),
            class_name="mb-2 flex items-baseline justify-between gap-2",
        ),
        flow_graph(Editor.graph_nodes, Editor.graph_edges, key=Editor.revision),
        class_name=f"{CARD} p-4",
    )


def studio_editor_page() -> rx.Component:
    """The page at ``/workflows/[workflow_id]``."""
    return studio_page(
        page_header(
            rx.cond(Editor.name != "", Editor.name, "Untitled workflow"),
            _subtitle(),
            *_actions(),
            crumbs=crumb("Workflows", "/workflows"),
        ),
        error_banner(Editor.load_error, "load-error"),
        error_banner(Editor.general_error, "workflow-error"),
        rx.cond(
            Editor.loaded,
            rx.el.div(
                rx.el.div(editor_tabs(), class_name="min-w-0 lg:col-span-3"),
                rx.el.div(
                    graph_panel(),
                    run_panel(),
                    class_name="flex min-w-0 flex-col gap-4 lg:sticky lg:top-20 lg:col-span-2 lg:self-start",
                ),
                class_name="grid grid-cols-1 gap-4 lg:grid-cols-5",
            ),
            rx.cond(Editor.load_error == "", rx.el.p("Loading…", class_name="text-sm text-slate-500")),
        ),
    )
