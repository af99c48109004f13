"""The frame of the studio and console pages: wide layout, access guard, shared controls."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.components.layout import page
from dashboard.state.studio import StudioState

BUTTON = (
    "inline-flex items-center justify-center gap-1.5 whitespace-nowrap rounded-md px-3 py-1.5 text-sm "
    "font-medium "
    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-1 "
    "disabled:cursor-not-allowed disabled:opacity-50"
)
PRIMARY = f"{BUTTON} bg-indigo-600 text-white shadow-sm hover:bg-indigo-500"
SECONDARY = f"{BUTTON} border border-slate-300 bg-white text-slate-700 shadow-sm hover:bg-slate-50"
DANGER = f"{BUTTON} border border-rose-200 bg-white text-rose-700 hover:bg-rose-50"
GHOST = f"{BUTTON} text-slate-600 hover:bg-slate-100 hover:text-slate-900"
ICON_BUTTON = (
    "inline-flex h-7 w-7 items-center justify-center rounded-md text-slate-500 hover:bg-slate-100 "
    "hover:text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 "
    "disabled:opacity-30"
)
INPUT = (
    "block w-full rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 "
    "shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none focus:ring-1 "
    "focus:ring-indigo-500"
)
INPUT_INVALID = (
    "block w-full rounded-md border border-rose-400 bg-rose-50 px-2.5 py-1.5 text-sm text-slate-900 "
    "shadow-sm placeholder:text-slate-400 focus:border-rose-500 focus:outline-none focus:ring-1 "
    "focus:ring-rose-500"
)
MONO_INPUT = INPUT + " font-mono text-xs"
SELECT_INLINE = (
    "rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm text-slate-900 shadow-sm "
    "focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500"
)
LABEL = "mb-1 block text-xs font-medium text-slate-600"
CARD = "rounded-xl border border-slate-200 bg-white shadow-sm"
PANEL_TITLE = "text-sm font-semibold text-slate-900"

#: Chip classes by job/task state (literal strings so Tailwind generates them).
_CHIP = "inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium"


def state_chip(state: Any, element_id: Any = None) -> rx.Component:
    """A coloured chip naming a job's or a task's state."""
    return rx.el.span(
        rx.el.span(class_name="h-1.5 w-1.5 rounded-full bg-current opacity-70"),
        state,
        id=element_id,
        custom_attrs={"data-state": state},
        class_name=rx.match(
            state,
            ("pending", f"{_CHIP} bg-slate-100 text-slate-600"),
            ("running", f"{_CHIP} bg-amber-100 text-amber-800"),
            ("done", f"{_CHIP} bg-emerald-100 text-emerald-800"),
            ("skipped", f"{_CHIP} bg-slate-200 text-slate-600"),
            ("failed", f"{_CHIP} bg-rose-100 text-rose-800"),
            f"{_CHIP} bg-slate-100 text-slate-500",
        ),
    )


def field_error(message: Any, element_id: Any = None) -> rx.Component:
    """The API's message about a field, under it (nothing when there is none)."""
    return rx.cond(
        message != "",
        rx.el.p(message, id=element_id, role="alert", class_name="mt-1 text-xs text-rose-700"),
    )


def not_allowed() -> rx.Component:
    """What someone who may not use the studio sees instead of it."""
    return rx.el.section(
        rx.el.div(
            rx.icon("shield-alert", class_name="h-6 w-6 text-rose-600"),
            class_name="mx-auto flex h-12 w-12 items-center justify-center rounded-full bg-rose-50",
        ),
        rx.el.h1("Not allowed", class_name="mt-4 text-lg font-semibold text-slate-900"),
        rx.el.p(StudioState.not_allowed_message, class_name="mt-1 text-sm text-slate-600"),
        rx.el.a("Back to your profile", href="/", class_name=f"{SECONDARY} mt-5"),
        id="not-allowed",
        class_name=f"{CARD} mx-auto mt-16 max-w-md p-8 text-center",
    )


def studio_page(*children: rx.Component) -> rx.Component:
    """A studio or console page: wide, and only for those :func:`can_use_studio` lets in (nothing
    shows until the access check has run)."""
    return page(
        rx.cond(
            StudioState.allowed,
            rx.fragment(*children),
            rx.cond(StudioState.checked, not_allowed(), rx.el.div(id="checking-access")),
        ),
        width="max-w-7xl",
    )


def page_header(title: Any, subtitle: Any, *actions: rx.Component, crumbs: Any = None) -> rx.Component:
    """A page's title row with its actions on the right."""
    return rx.el.div(
        rx.el.div(
            crumbs if crumbs is not None else rx.fragment(),
            rx.el.h1(
                title,
                class_name="wrap-anywhere text-xl font-semibold tracking-tight text-slate-900 sm:text-2xl",
            ),
            rx.el.p(subtitle, class_name="mt-0.5 wrap-anywhere text-sm text-slate-600"),
            class_name="min-w-0",
        ),
        rx.el.div(*actions, class_name="flex flex-wrap items-center gap-2"),
        class_name="mb-5 flex flex-col gap-3 sm:flex-row sm:items-end sm:justify-between",
    )


def crumb(label: str, href: str) -> rx.Component:
    """A link back up, above a page's title."""
    return rx.el.a(
        rx.icon("chevron-left", class_name="h-3.5 w-3.5"),
        label,
        href=href,
        class_name="mb-1 inline-flex items-center gap-0.5 text-xs font-medium text-slate-500 "
        "hover:text-indigo-600",
    )


def empty_state(icon: str, title: str, text: str, *actions: rx.Component) -> rx.Component:
    """A friendly box for an empty list."""
    return rx.el.div(
        rx.icon(icon, class_name="mx-auto h-8 w-8 text-slate-300"),
        rx.el.p(title, class_name="mt-2 text-sm font-medium text-slate-700"),
        rx.el.p(text, class_name="mt-0.5 text-sm text-slate-500"),
        rx.el.div(*actions, class_name="mt-4 flex justify-center gap-2"),
        class_name="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-12 text-center",
    )


def error_banner(message: Any, element_id: str = "page-error") -> rx.Component:
    """A page-level error, when there is one."""
    return rx.cond(
        message != "",
        rx.el.div(
            rx.icon("circle-alert", class_name="mt-0.5 h-4 w-4 shrink-0"),
            rx.el.p(message),
            id=element_id,
            role="alert",
            class_name="mb-4 flex gap-2 rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm "
            "text-rose-800",
        ),
    )
