"""A job's tasks: state, time, reason, stored outputs as thumbnails, result JSON (collapsible)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.components.studio_shell import state_chip


def output_thumb(output: Any) -> rx.Component:
    """A stored output: its thumbnail, linked to the file."""
    return rx.el.a(
        rx.el.img(
            src=output.thumb,
            alt=output.label,
            loading="lazy",
            class_name="h-16 w-16 rounded-md border border-slate-200 bg-slate-100 object-cover",
        ),
        rx.el.span(output.label, class_name="max-w-[12rem] text-[11px] leading-tight text-slate-500"),
        href=output.url,
        target="_blank",
        rel="noopener",
        title=output.label,
        class_name="output-thumb flex flex-col items-start gap-1 hover:opacity-90",
    )


def task_run_row(row: Any, prefix: str) -> rx.Component:
    """One task of a job."""
    return rx.el.li(
        rx.el.div(
            state_chip(row.state),
            rx.el.code(row.id, class_name="font-mono text-sm font-medium text-slate-900"),
            rx.el.span(row.action, class_name="text-xs text-slate-500"),
            rx.el.span(
                row.time, class_name="task-time ml-auto font-mono text-xs tabular-nums text-slate-500"
            ),
            class_name="flex flex-wrap items-center gap-2",
        ),
        rx.cond(
            row.reason != "", rx.el.p(row.reason, class_name="mt-1 wrap-anywhere text-xs text-slate-600")
        ),
        rx.cond(
            row.outputs.length() > 0,
            rx.el.div(rx.foreach(row.outputs, output_thumb), class_name="mt-2 flex flex-wrap gap-3"),
        ),
        rx.cond(
            row.result_json != "",
            rx.el.details(
                rx.el.summary(
                    "Result JSON", class_name="cursor-pointer select-none text-xs font-medium text-indigo-700"
                ),
                rx.el.pre(
                    row.result_json,
                    # Scrollable: reachable by the keyboard, named for screen readers.
                    tab_index=0,
                    aria_label="Result JSON of " + row.id,
                    class_name="mt-1 max-h-64 overflow-auto rounded-md bg-slate-950 p-2 font-mono "
                    "text-[11px] "
                    "leading-relaxed text-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-400",
                ),
                class_name="mt-2",
            ),
        ),
        id=prefix + "-task-" + row.id,
        custom_attrs={"data-state": row.state},
        class_name="border-t border-slate-100 py-2.5 first:border-t-0",
    )


def task_run_list(rows: Any, prefix: str, empty: str) -> rx.Component:
    """Every task of a job, in run order."""
    return rx.cond(
        rows.length() > 0,
        rx.el.ul(rx.foreach(rows, lambda row: task_run_row(row, prefix)), id=prefix + "-tasks"),
        rx.el.p(empty, class_name="py-2 text-xs text-slate-500"),
    )
