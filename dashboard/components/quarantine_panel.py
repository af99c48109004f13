"""The jobs console's quarantine panel: held files, each with Release and Delete (asked first)."""

import reflex as rx

from dashboard.components.studio_shell import CARD, DANGER, GHOST, PANEL_TITLE, SECONDARY, error_banner
from dashboard.state.quarantine import QuarantineState as Held


def _held_line(row) -> rx.Component:
    """One held file."""
    return rx.el.li(
        rx.el.div(
            rx.el.p(
                rx.el.code(row.handle, class_name="font-mono text-xs text-slate-800"),
                rx.el.span(" ", row.name, class_name="text-xs text-slate-500"),
                class_name="wrap-anywhere",
            ),
            rx.el.p(row.reason, class_name="mt-0.5 text-sm text-amber-800"),
            rx.el.p(
                "Held since ",
                row.since,
                rx.cond(
                    row.job != "",
                    rx.fragment(
                        " by job ",
                        rx.el.a(
                            row.job,
                            href="/jobs/" + row.job,
                            class_name="font-mono text-indigo-700 hover:underline",
                        ),
                    ),
                ),
                class_name="mt-0.5 wrap-anywhere text-xs text-slate-500",
            ),
            class_name="min-w-0 flex-1",
        ),
        rx.cond(
            Held.confirm_delete == row.handle,
            rx.el.div(
                rx.el.span("Delete for good?", class_name="text-xs text-rose-800"),
                rx.el.button(
                    "Delete",
                    type="button",
                    id="confirm-delete-" + row.handle,
                    on_click=Held.delete_confirmed,
                    class_name=DANGER + " text-xs",
                ),
                rx.el.button("Keep", type="button", on_click=Held.keep, class_name=GHOST + " text-xs"),
                class_name="flex items-center gap-2",
            ),
            rx.el.div(
                rx.el.button(
                    rx.icon("lock-open", class_name="h-4 w-4"),
                    "Release",
                    type="button",
                    id="release-" + row.handle,
                    on_click=Held.release(row.handle),
                    class_name=SECONDARY + " text-xs",
                ),
                rx.el.button(
                    rx.icon("trash-2", class_name="h-4 w-4"),
                    "Delete",
                    type="button",
                    id="delete-" + row.handle,
                    on_click=Held.ask_delete(row.handle),
                    class_name=DANGER + " text-xs",
                ),
                class_name="flex gap-2",
            ),
        ),
        id="held-" + row.handle,
        class_name="flex flex-col gap-2 border-t border-slate-100 px-4 py-3 sm:flex-row sm:items-center",
    )


def quarantine_panel() -> rx.Component:
    """Files held out of public reach by workflows (``quarantine``), for admins to release or delete."""
    return rx.el.section(
        rx.el.div(
            rx.el.h2(
                rx.icon("shield-alert", class_name="h-4 w-4 text-amber-600"),
                "Quarantine",
                class_name=PANEL_TITLE + " flex items-center gap-2",
            ),
            rx.el.button(
                rx.icon("refresh-cw", class_name="h-4 w-4"),
                "Refresh",
                type="button",
                id="refresh-quarantine",
                on_click=Held.load_quarantine,
                class_name=GHOST + " text-xs",
            ),
            class_name="flex items-center justify-between px-4 py-3",
        ),
        rx.el.p(
            "Held files answer 403 on the CDN and the File API until released; their bytes are kept.",
            class_name="px-4 pb-2 text-xs text-slate-500",
        ),
        rx.el.div(error_banner(Held.held_error, "quarantine-error"), class_name="px-4"),
        rx.cond(
            Held.held_notice != "",
            rx.el.p(
                Held.held_notice,
                id="quarantine-notice",
                role="status",
                class_name="px-4 pb-2 text-sm text-emerald-800",
            ),
        ),
        rx.cond(
            Held.held.length() > 0,
            rx.el.ul(rx.foreach(Held.held, _held_line), id="quarantine-list"),
            rx.el.p(
                "No file is held.",
                id="quarantine-empty",
                class_name="border-t border-slate-100 px-4 py-3 text-sm text-slate-500",
            ),
        ),
        id="quarantine",
        aria_label="Quarantine",
        class_name=CARD + " mt-6 overflow-hidden",
    )
