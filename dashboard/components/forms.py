"""Form pieces shared by the account pages: labelled fields, the submit button, messages."""

import reflex as rx

from dashboard.state import AccountState

INPUT = (
    "block w-full rounded-lg border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 "
    "shadow-sm placeholder:text-slate-400 focus:border-indigo-500 focus:outline-none "
    "focus:ring-1 focus:ring-indigo-500"
)


def field(
    element_id: str,
    name: str,
    label: str,
    *,
    input_type: str = "text",
    autocomplete: str = "",
    hint: str = "",
    auto_focus: bool = False,
) -> rx.Component:
    """A label, an input and an optional hint under it."""
    return rx.el.div(
        rx.el.label(label, html_for=element_id, class_name="text-sm font-medium text-slate-700"),
        rx.el.input(
            id=element_id,
            name=name,
            type=input_type,
            auto_complete=autocomplete or None,
            required=True,
            auto_focus=auto_focus,
            class_name=INPUT,
        ),
        rx.el.p(hint, class_name="text-xs text-slate-500") if hint else rx.fragment(),
        class_name="flex flex-col gap-1.5",
    )


def submit(label: str, element_id: str, *, danger: bool = False) -> rx.Component:
    """The form's button; shows that the request is running."""
    colour = (
        "bg-rose-600 hover:bg-rose-700 focus-visible:ring-rose-500"
        if danger
        else ("bg-indigo-600 hover:bg-indigo-700 focus-visible:ring-indigo-500")
    )
    return rx.el.button(
        rx.cond(AccountState.working, "Please wait…", label),
        type="submit",
        id=element_id,
        disabled=AccountState.working,
        class_name=(
            "inline-flex w-full items-center justify-center rounded-lg px-4 py-2.5 text-sm font-semibold "
            "text-white shadow-sm transition disabled:cursor-wait disabled:opacity-70 focus:outline-none "
            "focus-visible:ring-2 focus-visible:ring-offset-2 " + colour
        ),
    )


def messages() -> rx.Component:
    """The form's error (or notice), read out by screen readers."""
    return rx.fragment(
        rx.cond(
            AccountState.error != "",
            rx.el.p(
                AccountState.error,
                id="form-error",
                role="alert",
                class_name="rounded-lg border border-rose-200 bg-rose-50 px-3 py-2 text-sm text-rose-800",
            ),
        ),
        rx.cond(
            AccountState.notice != "",
            rx.el.p(
                AccountState.notice,
                id="form-notice",
                role="status",
                class_name="rounded-lg border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800",
            ),
        ),
    )


def card(*children: rx.Component, class_name: str = "") -> rx.Component:
    """A white card."""
    return rx.el.div(
        *children,
        class_name="flex flex-col gap-5 rounded-2xl border border-slate-200 bg-white p-6 shadow-sm sm:p-8 "
        + class_name,
    )
