"""Drawn on the photo itself, where one looks (on a phone too): the upload's progress, and where a dragged file will land."""

from typing import Any

import reflex as rx

from dashboard.slot_phase import SlotPhase


def upload_progress(state: Any, element_id: str, label: str) -> rx.Component:
    """While the slot uploads: the photo dimmed, filling from the bottom, with the percentage."""
    return rx.cond(
        state.phase == SlotPhase.UPLOADING.value,
        rx.el.div(
            rx.el.div(
                class_name="absolute inset-x-0 bottom-0 bg-indigo-500/45 transition-all",
                style={"height": state.progress.to_string() + "%"},
            ),
            rx.el.span(
                state.progress.to_string() + "%",
                class_name="relative text-sm font-semibold text-white drop-shadow",
            ),
            id=element_id,
            role="progressbar",
            aria_label=label,
            aria_valuenow=state.progress,
            aria_valuemin=0,
            aria_valuemax=100,
            class_name="pointer-events-none absolute inset-0 flex items-center justify-center bg-black/35",
        ),
    )


def drop_hint(text: str) -> rx.Component:
    """Shown over the photo while a file is dragged over its slot (the slot's ``data-drag-over``)."""
    return rx.el.span(
        text,
        aria_hidden="true",
        class_name=(
            "pointer-events-none absolute inset-0 hidden items-center justify-center bg-indigo-600/55 "
            "text-center text-sm font-semibold text-white group-data-[drag-over=true]:flex"
        ),
    )
