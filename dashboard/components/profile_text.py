"""The profile's name, headline and bio, each editable in place.

Each field has an Edit button (``#<field>-edit``) opening its own editor
(``#<field>-input``, ``#<field>-save``, ``#<field>-cancel``): a live counter states the
limit, Escape cancels, the focus returns to the Edit button, and another editor left
open keeps its typing. A change saved in another window meanwhile is announced in the
editor, and saving then asks whose text to keep.
"""

import reflex as rx

from dashboard.state import ProfileState
from dashboard.text_fields import TextField

FOCUS_RING = (
    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-1"
)
BUTTON = (
    "rounded-md px-2.5 py-1 text-xs font-semibold disabled:cursor-not-allowed disabled:opacity-60 "
    + FOCUS_RING
)
PRIMARY = BUTTON + " bg-indigo-600 text-white hover:bg-indigo-700"
SECONDARY = BUTTON + " bg-white text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50"
#: The Edit buttons: slate-600 on white is 7.5:1, well above the 4.5:1 small text needs.
EDIT_BUTTON = (
    BUTTON + " shrink-0 text-slate-600 ring-1 ring-slate-200 hover:bg-slate-100 hover:text-slate-900"
)
INPUT = (
    "w-full min-w-0 rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 "
    "shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-1 focus:ring-indigo-500"
)
#: Long words and URLs break anywhere rather than widen the page.
WRAP = "min-w-0 max-w-full wrap-anywhere"

_KEYS = (
    "(e) => {{ if (e.key === 'Escape') {{ e.preventDefault(); "
    "document.getElementById('{field}-cancel')?.click(); }} "
    "else if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {{ e.preventDefault(); "
    "e.currentTarget.form?.requestSubmit(); }} }}"
)


def _keys(field: str) -> rx.Var:
    """Escape clicks Cancel; Ctrl+Enter (or Cmd+Enter) saves, also in the bio's text area."""
    return rx.Var(_KEYS.format(field=field))


def _conflict(field: TextField, current: rx.Var) -> rx.Component:
    """A save met a change made in another window: whose text to keep."""
    f = field.value
    return rx.el.div(
        rx.el.p(
            f"Your {field.label} was changed in another window while you were editing. It now reads: ",
            rx.el.q(current, class_name="font-semibold " + WRAP),
            class_name=WRAP,
        ),
        rx.el.div(
            rx.el.button(
                "Keep mine",
                type="button",
                id=f"{f}-keep-mine",
                on_click=ProfileState.keep_mine(f),
                class_name=PRIMARY,
            ),
            rx.el.button(
                "Keep theirs",
                type="button",
                id=f"{f}-keep-theirs",
                on_click=ProfileState.keep_theirs(f),
                class_name=SECONDARY,
            ),
            class_name="flex flex-wrap gap-2",
        ),
        id=f"{f}-conflict",
        role="alert",
        class_name="flex flex-col gap-2 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-900",
    )


def _editor(field: TextField, current: rx.Var, label: str) -> rx.Component:
    f = field.value
    changed_elsewhere = (ProfileState.bases[f] != current) & ~ProfileState.conflicts[f]
    control_props: dict = {
        "id": f"{f}-input",
        "name": "value",
        "default_value": ProfileState.drafts[f],
        "auto_focus": True,
        "on_change": ProfileState.set_draft(f),
        "aria_describedby": f"{f}-count {f}-error",
        "aria_invalid": rx.cond(ProfileState.over_limit[f] | (ProfileState.errors[f] != ""), "true", "false"),
        "custom_attrs": {"onKeyDown": _keys(f)},
        "class_name": INPUT,
    }
    control = (
        rx.el.textarea(rows=5, **control_props)
        if field.multiline
        else rx.el.input(type="text", **control_props)
    )
    keys_hint = "Ctrl+Enter saves, Esc cancels" if field.multiline else "Enter saves, Esc cancels"
    return rx.el.form(
        rx.el.label(
            label,
            rx.el.span(f" (at most {field.limit} characters)", class_name="font-normal text-slate-600"),
            html_for=f"{f}-input",
            class_name="text-xs font-semibold text-slate-700",
        ),
        control,
        rx.el.div(
            rx.el.span(keys_hint, class_name="hidden text-slate-500 pointer-fine:inline"),
            rx.el.span(
                ProfileState.counters[f],
                id=f"{f}-count",
                class_name=rx.cond(
                    ProfileState.over_limit[f],
                    "ml-auto font-semibold text-rose-700",
                    "ml-auto text-slate-600",
                ),
            ),
            class_name="flex gap-2 text-xs tabular-nums",
        ),
        rx.el.p(
            ProfileState.errors[f],
            id=f"{f}-error",
            role="alert",
            class_name=rx.cond(ProfileState.errors[f] != "", "text-sm text-rose-700 " + WRAP, "hidden"),
        ),
        rx.cond(
            changed_elsewhere,
            rx.el.p(
                "Changed in another window since you began: ",
                rx.el.q(current, class_name="font-semibold"),
                ". Saving will ask which to keep.",
                id=f"{f}-changed",
                role="status",
                class_name="text-sm text-amber-800 " + WRAP,
            ),
        ),
        rx.cond(ProfileState.conflicts[f], _conflict(field, current)),
        rx.el.div(
            rx.el.button(
                "Save", type="submit", id=f"{f}-save", disabled=ProfileState.over_limit[f], class_name=PRIMARY
            ),
            rx.el.button(
                "Cancel",
                type="button",
                id=f"{f}-cancel",
                on_click=ProfileState.cancel_editing(f),
                class_name=SECONDARY,
            ),
            class_name="flex gap-2",
        ),
        on_submit=ProfileState.save_field(f),
        reset_on_submit=False,
        id=f"{f}-editor",
        class_name="flex w-full min-w-0 flex-col gap-1.5",
    )


def edit_button(field: TextField, label: str) -> rx.Component:
    """The button opening a field's editor."""
    return rx.el.button(
        "Edit",
        type="button",
        id=f"{field.value}-edit",
        on_click=ProfileState.start_editing(field.value),
        aria_label=f"Edit {label.lower()}",
        class_name=EDIT_BUTTON,
    )


def editable(field: TextField, current: rx.Var, element: rx.Component, label: str) -> rx.Component:
    """``element`` with its Edit button, or the field's editor while it is open."""
    return rx.cond(
        ProfileState.editing[field.value],
        _editor(field, current, label),
        rx.el.div(
            element, edit_button(field, label), class_name="flex min-w-0 items-start justify-between gap-2"
        ),
    )


def name_block() -> rx.Component:
    """Name and headline."""
    return rx.el.div(
        editable(
            TextField.NAME,
            ProfileState.name,
            rx.el.h1(
                ProfileState.name,
                id="profile-name",
                class_name="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl " + WRAP,
            ),
            "Name",
        ),
        editable(
            TextField.HEADLINE,
            ProfileState.headline,
            rx.el.p(
                rx.cond(
                    ProfileState.headline != "",
                    ProfileState.headline,
                    "Add a headline: what you do, in a line",
                ),
                id="profile-headline",
                class_name=rx.cond(
                    ProfileState.headline != "", "text-slate-700 " + WRAP, "italic text-slate-600 " + WRAP
                ),
            ),
            "Headline",
        ),
        class_name="flex w-full min-w-0 flex-col gap-1",
    )


def _bio_invitation() -> rx.Component:
    """No bio yet: an invitation to write one instead of an empty card."""
    return rx.el.div(
        rx.el.p(
            "Visitors see an About section here once you write a few words about yourself.",
            class_name="text-sm text-slate-600",
        ),
        rx.el.button(
            "Write your bio",
            type="button",
            id="bio-edit",
            on_click=ProfileState.start_editing(TextField.BIO.value),
            class_name=SECONDARY + " self-start",
        ),
        id="bio-invitation",
        class_name="flex flex-col gap-2 rounded-xl border border-dashed border-slate-300 bg-white/60 p-5",
    )


def bio_block() -> rx.Component:
    """The About card, or an invitation to write a bio when there is none."""
    return rx.cond(
        (ProfileState.bio == "") & ~ProfileState.editing[TextField.BIO.value],
        _bio_invitation(),
        rx.el.section(
            rx.el.h2(
                "About",
                id="about-title",
                class_name="text-sm font-semibold uppercase tracking-wide text-slate-600",
            ),
            editable(
                TextField.BIO,
                ProfileState.bio,
                rx.el.p(
                    ProfileState.bio,
                    id="profile-bio",
                    class_name="whitespace-pre-line leading-relaxed " + WRAP,
                ),
                "Bio",
            ),
            class_name="flex min-w-0 flex-col gap-2 rounded-xl border border-slate-200 bg-white p-5 shadow-sm",
            aria_labelledby="about-title",
        ),
    )
