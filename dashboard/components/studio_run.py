"""The editor's test-run panel: pick a sample photo or drop one, run, watch each task live."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.components.job_tasks import task_run_list
from dashboard.components.studio_shell import CARD, PANEL_TITLE, PRIMARY, state_chip
from dashboard.photo_checks import DROPZONE_ACCEPT
from dashboard.settings import get_settings
from dashboard.state.sample_run import UPLOAD_ID
from dashboard.state.sample_run import SampleRunState as Run
from dashboard.state.workflow_editor import WorkflowEditorState as Editor

FOCUS_RING = "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600"


def sample_tile(sample: Any) -> rx.Component:
    """One sample photo to choose."""
    chosen = Run.selected == sample.name
    return rx.el.button(
        rx.el.img(src=sample.url, alt="", class_name="h-14 w-full rounded object-cover"),
        rx.el.span(sample.label, class_name="mt-1 block truncate text-[11px] text-slate-700"),
        type="button",
        id="sample-" + sample.name,
        aria_pressed=rx.cond(chosen, "true", "false"),
        on_click=Run.select(sample.name),
        class_name=rx.cond(
            chosen,
            "rounded-lg border-2 border-indigo-500 bg-indigo-50 p-1 text-left " + FOCUS_RING,
            "rounded-lg border-2 border-transparent bg-slate-50 p-1 text-left hover:border-slate-300 "
            + FOCUS_RING,
        ),
    )


def _run_blocked() -> Any:
    return Run.busy | Editor.dirty | Editor.is_new


def _photo_dropzone() -> rx.Component:
    """A button choosing a photo to run on; with a mouse, a photo can also be dropped on it.

    The button is the one stop for the keyboard (the zone around it takes no focus of its
    own), and the zone's file input is named for screen readers. Touch screens, where
    nothing can be dropped, say "Choose a photo" only.
    """
    zone = rx.upload.root(
        rx.el.button(
            rx.icon("upload", class_name="h-4 w-4", aria_hidden="true"),
            rx.el.span("Choose a photo", rx.el.span(" or drop one", class_name="hidden pointer-fine:inline")),
            type="button",
            id="run-upload-button",
            disabled=_run_blocked(),
            class_name="flex h-full w-full items-center justify-center gap-1.5 rounded-md px-3 py-1.5 "
            "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 disabled:cursor-not-allowed "
            "disabled:opacity-60",
        ),
        id=UPLOAD_ID,
        accept=DROPZONE_ACCEPT,
        max_files=1,
        multiple=False,
        max_size=get_settings().max_upload_bytes,
        disabled=_run_blocked(),
        no_keyboard=True,
        on_drop=Run.run_upload(rx.upload_files(upload_id=UPLOAD_ID)),
        on_drop_rejected=Run.on_rejected,
        class_name="flex flex-1 cursor-pointer items-stretch rounded-md border border-dashed border-slate-300 "
        "text-sm text-slate-700 hover:border-indigo-400 hover:text-indigo-700",
    )
    # rx.upload.root renders <div {...getRootProps()}><input {...getInputProps()}/>…</div>; name the input.
    file_input = zone.children[0].children[0]
    file_input.custom_attrs["aria-label"] = "Photo for a test run"
    return zone


def run_panel() -> rx.Component:
    """Samples, upload, the run button and the job's tasks as they run."""
    return rx.el.section(
        rx.el.div(
            rx.el.h2("Test run", class_name=PANEL_TITLE),
            rx.cond(
                Run.job_uuid != "",
                rx.el.a(
                    "Open job",
                    rx.icon("arrow-up-right", class_name="h-3.5 w-3.5"),
                    href="/jobs/" + Run.job_uuid,
                    id="run-job-link",
                    class_name="inline-flex items-center gap-0.5 text-xs font-medium text-indigo-700 "
                    "hover:underline",
                ),
            ),
            class_name="flex items-center justify-between",
        ),
        rx.el.p(
            rx.cond(
                Editor.is_new,
                "Save the workflow to run it.",
                rx.cond(
                    Editor.dirty,
                    "Save your changes first: a run uses the saved workflow.",
                    "Runs the saved workflow on a photo.",
                ),
            ),
            class_name="mt-0.5 text-xs text-slate-600",
        ),
        rx.el.div(rx.foreach(Run.samples, sample_tile), class_name="mt-3 grid grid-cols-4 gap-2"),
        rx.el.div(
            rx.el.button(
                rx.icon("play", class_name="h-4 w-4"),
                "Run on sample",
                type="button",
                id="run-sample",
                disabled=_run_blocked(),
                on_click=Run.run_sample,
                class_name=PRIMARY,
            ),
            _photo_dropzone(),
            class_name="mt-3 flex items-stretch gap-2",
        ),
        rx.cond(
            Run.phase != "idle",
            rx.el.div(
                rx.el.div(
                    rx.cond(
                        Run.source_thumb != "",
                        rx.el.img(
                            src=Run.source_thumb,
                            alt=rx.cond(Run.source_name != "", "Photo run: " + Run.source_name, "Photo run"),
                            class_name="h-10 w-10 rounded object-cover",
                        ),
                    ),
                    rx.el.div(
                        rx.el.p(
                            Run.source_name, class_name="wrap-anywhere text-xs font-medium text-slate-800"
                        ),
                        rx.el.p(
                            Run.message,
                            id="run-status",
                            role="status",
                            aria_live="polite",
                            class_name="wrap-anywhere text-xs text-slate-600",
                        ),
                        class_name="min-w-0 flex-1",
                    ),
                    rx.cond(Run.job_state != "", state_chip(Run.job_state, "run-state")),
                    class_name="flex items-center gap-2",
                ),
                rx.el.div(task_run_list(Run.rows, "run", "Waiting for the job…"), class_name="mt-2"),
                class_name="mt-4 rounded-lg border border-slate-200 p-3",
            ),
        ),
        id="test-run",
        class_name=f"{CARD} p-4",
    )
