"""More ways to set a slot's photo, and to take it back: "From a link", "Remove photo", the Undo toast,
and the placeholders a slot without a photo shows (files in ``assets/placeholders/``)."""

from __future__ import annotations

from typing import Any

import reflex as rx

from dashboard.state.photo_undo import PhotoUndoState

#: The placeholders, served from ``assets/``.
AVATAR_PLACEHOLDER = "/placeholders/avatar.svg"
COVER_PLACEHOLDER = "/placeholders/cover.svg"

FOCUS_RING = (
    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-1"
)


def initials(name: rx.Var) -> rx.Var:
    """Up to two initials of a name, upper-case (``Ada Lovelace`` -> ``AL``), computed in the browser."""
    return rx.Var(
        f"(({name}) || '').trim().split(/\\s+/).filter(Boolean).slice(0, 2)"
        ".map((word) => Array.from(word)[0].toUpperCase()).join('')"
    ).to(str)


def placeholder_style(path: str) -> dict[str, str]:
    """A placeholder file as a background covering its box."""
    return {"backgroundImage": f"url('{path}')", "backgroundSize": "cover", "backgroundPosition": "center"}


def link_form(state: Any, slot: str) -> rx.Component:
    """ "From a link": paste the address of a photo on the web (``#{slot}-url``, ``#{slot}-url-submit``)."""
    field_id = f"{slot}-url"
    return rx.el.form(
        rx.el.label("From a link", html_for=field_id, class_name="text-xs font-medium text-slate-700"),
        rx.el.div(
            rx.el.input(
                id=field_id,
                name="url",
                type="url",
                input_mode="url",
                auto_complete="off",
                placeholder="https://example.com/photo.jpg",
                class_name=(
                    "min-w-0 flex-1 rounded-md border border-slate-300 px-2.5 py-1.5 text-sm text-slate-900 "
                    "placeholder:text-slate-500 " + FOCUS_RING
                ),
            ),
            rx.el.button(
                "Use link",
                id=f"{slot}-url-submit",
                type="submit",
                disabled=state.busy,
                class_name=(
                    "shrink-0 rounded-md bg-slate-800 px-3 py-1.5 text-xs font-semibold text-white hover:bg-slate-900 "
                    "disabled:cursor-not-allowed disabled:opacity-60 " + FOCUS_RING
                ),
            ),
            class_name="flex gap-2",
        ),
        on_submit=state.take_from_link,
        reset_on_submit=False,
        no_validate=True,
        class_name="flex flex-col gap-1",
    )


def remove_button(state: Any, slot: str) -> rx.Component:
    """ "Remove photo" (``#{slot}-remove``): shown while the slot has a photo of its own and nothing runs."""
    return rx.cond(
        (state.photo_url != "") & ~state.busy,
        rx.el.button(
            "Remove photo",
            id=f"{slot}-remove",
            type="button",
            on_click=state.remove_photo,
            class_name=(
                "self-start rounded-md px-2 py-1 text-xs font-medium text-rose-700 ring-1 ring-rose-200 "
                "hover:bg-rose-50 " + FOCUS_RING
            ),
        ),
    )


def undo_toast() -> rx.Component:
    """The toast offering Undo for the undo window after a photo is saved or removed."""
    return rx.el.div(
        rx.cond(
            PhotoUndoState.undo_text != "",
            rx.el.div(
                rx.el.span(PhotoUndoState.undo_text, id="undo-text", class_name="text-sm"),
                rx.el.button(
                    "Undo",
                    id="undo-button",
                    type="button",
                    on_click=PhotoUndoState.undo,
                    class_name=(
                        "rounded-md bg-white px-3 py-1 text-sm font-semibold text-slate-900 hover:bg-slate-100 "
                        "focus:outline-none focus-visible:ring-2 focus-visible:ring-white"
                    ),
                ),
                rx.el.button(
                    "×",
                    type="button",
                    aria_label="Close",
                    on_click=PhotoUndoState.dismiss,
                    class_name="px-1 text-lg leading-none text-slate-200 hover:text-white focus:outline-none "
                    "focus-visible:ring-2 focus-visible:ring-white",
                ),
                class_name=(
                    "pointer-events-auto flex items-center gap-3 rounded-lg bg-slate-900 px-4 py-2.5 text-white shadow-lg"
                ),
            ),
        ),
        id="undo-toast",
        role="status",
        aria_live="polite",
        # On a phone at the top, clear of the notifications at the bottom; below the photos elsewhere.
        class_name="pointer-events-none fixed inset-x-0 top-3 z-50 flex justify-center px-4 sm:top-auto sm:bottom-4",
    )
