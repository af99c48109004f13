"""The profile's name, headline and bio, each editable in place."""

import reflex as rx

from dashboard.state import ProfileState

BUTTON = (
    "rounded-md px-2.5 py-1 text-xs font-semibold focus:outline-none focus-visible:ring-2 "
    "focus-visible:ring-indigo-500"
)


def _editor(field: str, value: rx.Var, multiline: bool, label: str) -> rx.Component:
    field_props = dict(
        name="value",
        default_value=value,
        aria_label=label,
        auto_focus=True,
        class_name=(
            "w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 "
            "shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500"
        ),
    )
    control = rx.el.textarea(rows=4, **field_props) if multiline else rx.el.input(**field_props)
    return rx.el.form(
        control,
        rx.el.div(
            rx.el.button("Save", type="submit", class_name=BUTTON + " bg-indigo-600 text-white hover:bg-indigo-700"),
            rx.el.button(
                "Cancel",
                type="button",
                on_click=ProfileState.cancel_editing,
                class_name=BUTTON + " bg-white text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50",
            ),
            class_name="flex gap-2",
        ),
        on_submit=ProfileState.save_field,
        reset_on_submit=False,
        id=f"{field}-editor",
        class_name="flex w-full flex-col gap-2",
    )


def editable(field: str, value: rx.Var, element: rx.Component, multiline: bool, label: str) -> rx.Component:
    """``element`` with an edit button, or the editor while that field is being edited."""
    return rx.cond(
        ProfileState.editing == field,
        _editor(field, value, multiline, label),
        rx.el.div(
            element,
            rx.el.button(
                "Edit",
                type="button",
                on_click=ProfileState.start_editing(field),
                aria_label=f"Edit {label.lower()}",
                class_name=BUTTON + " text-slate-500 opacity-70 hover:bg-slate-100 hover:opacity-100",
            ),
            class_name="group flex items-start gap-2",
        ),
    )


def name_block() -> rx.Component:
    """Name and headline."""
    return rx.el.div(
        editable(
            "name",
            ProfileState.name,
            rx.el.h1(
                ProfileState.name,
                id="profile-name",
                class_name="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl",
            ),
            False,
            "Name",
        ),
        editable(
            "headline",
            ProfileState.headline,
            rx.el.p(
                rx.cond(ProfileState.headline != "", ProfileState.headline, "Add a headline: what you do, in a line"),
                id="profile-headline",
                class_name=rx.cond(ProfileState.headline != "", "text-slate-600", "italic text-slate-400"),
            ),
            False,
            "Headline",
        ),
        class_name="flex min-w-0 flex-col gap-1",
    )


def bio_block() -> rx.Component:
    """The bio card."""
    return rx.el.section(
        rx.el.h2("About", class_name="text-sm font-semibold uppercase tracking-wide text-slate-500"),
        editable(
            "bio",
            ProfileState.bio,
            rx.el.p(
                rx.cond(ProfileState.bio != "", ProfileState.bio, "Tell visitors a little about yourself."),
                id="profile-bio",
                class_name=rx.cond(
                    ProfileState.bio != "", "whitespace-pre-line leading-relaxed", "italic text-slate-400"
                ),
            ),
            True,
            "Bio",
        ),
        class_name="flex flex-col gap-2 rounded-xl border border-slate-200 bg-white p-5 shadow-sm",
        aria_label="About",
    )
