"""The cover photo and the avatar: each a dropzone showing its photo and its job's progress."""

from typing import Any

import reflex as rx

from dashboard.components.camera_dialog import camera_button
from dashboard.components.crop_dialog import pick_photo
from dashboard.components.photo_controls import name_file_input, rejection_summary
from dashboard.components.photo_progress import drop_hint, upload_progress
from dashboard.components.photo_sources import (
    AVATAR_PLACEHOLDER,
    COVER_PLACEHOLDER,
    initials,
    placeholder_style,
)
from dashboard.photo_checks import DROPZONE_ACCEPT
from dashboard.settings import get_settings
from dashboard.slot_phase import SlotPhase
from dashboard.state import AvatarState, CoverState, ProfileState
from dashboard.state.rows import TaskRow

TASK_CHIP = {
    "queued": "bg-slate-100 text-slate-600",
    "running": "bg-amber-100 text-amber-800",
    "done": "bg-emerald-100 text-emerald-800",
    "skipped": "bg-slate-200 text-slate-600",
    "failed": "bg-rose-100 text-rose-800",
}


def _dropzone(state: Any, upload_id: str, child: rx.Component, class_name: str, label: str) -> rx.Component:
    """A button named ``label`` choosing a photo; with a mouse, a photo can also be dropped on it.

    The button is the keyboard's one stop (the zone takes no focus of its own). Choosing a photo
    while another still uploads cancels that one; a refused file is summarised in the browser.
    """
    zone = rx.upload.root(
        rx.el.button(
            child,
            type="button",
            aria_label=label,
            class_name=(
                "block h-full w-full rounded-[inherit] text-left outline-none focus-visible:outline-solid "
                "focus-visible:outline-4 focus-visible:-outline-offset-4 focus-visible:outline-indigo-500"
            ),
        ),
        id=upload_id,
        accept=DROPZONE_ACCEPT,
        max_files=1,
        multiple=False,
        max_size=get_settings().max_upload_bytes,
        no_keyboard=True,
        # The photo is framed first (crop dialog), then sent with its frame.
        on_drop=pick_photo(state.slot.value),
        on_drop_rejected=lambda rejections: state.on_rejected(rejection_summary(rejections)),
        class_name=class_name,
    )
    return name_file_input(zone, label)


def status_line(state: Any, element_id: str) -> rx.Component:
    """The slot's status text (always present, so automation can read it)."""
    return rx.el.p(
        rx.cond(
            state.message != "",
            state.message,
            rx.el.span(
                "Choose a photo",
                rx.el.span(" or drop one here", class_name="hidden pointer-fine:inline"),
                ".",
            ),
        ),
        id=element_id,
        role="status",
        aria_live="polite",
        class_name=rx.match(
            state.phase,
            (SlotPhase.FAILED.value, "text-sm text-rose-700"),
            (SlotPhase.REJECTED.value, "text-sm text-rose-700"),
            (SlotPhase.DONE.value, "text-sm text-emerald-700"),
            (SlotPhase.PROCESSING.value, "text-sm text-amber-700"),
            (SlotPhase.UPLOADING.value, "text-sm text-indigo-700"),
            "text-sm text-slate-500",
        ),
    )


def task_chip(task: TaskRow) -> rx.Component:
    """One task of the job and its state."""
    return rx.el.li(
        rx.el.span(task.id, class_name="font-medium"),
        rx.el.span(task.state),
        title=task.reason,
        class_name=rx.match(
            task.state,
            ("queued", "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs " + TASK_CHIP["queued"]),
            ("running", "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs " + TASK_CHIP["running"]),
            ("done", "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs " + TASK_CHIP["done"]),
            ("skipped", "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs " + TASK_CHIP["skipped"]),
            ("failed", "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs " + TASK_CHIP["failed"]),
            "flex gap-1.5 rounded-full px-2.5 py-0.5 text-xs bg-slate-100 text-slate-600",
        ),
    )


def job_panel(state: Any, label: str, status_id: str, *extra: rx.Component) -> rx.Component:
    """The slot's status, upload progress, task states and retry button (then ``extra``)."""
    return rx.el.div(
        rx.el.div(
            rx.el.h3(label, class_name="text-sm font-semibold text-slate-900"),
            rx.cond(
                state.busy,
                rx.el.span(class_name="h-2 w-2 animate-pulse rounded-full bg-amber-500", aria_hidden="true"),
            ),
            class_name="flex items-center gap-2",
        ),
        status_line(state, status_id),
        camera_button(state.slot.value, label),
        rx.cond(
            state.phase == SlotPhase.UPLOADING.value,
            rx.el.div(
                rx.el.div(
                    class_name="h-full rounded-full bg-indigo-500 transition-all",
                    style={"width": state.progress.to_string() + "%"},
                ),
                class_name="h-1.5 w-full overflow-hidden rounded-full bg-slate-200",
                role="progressbar",
                aria_valuenow=state.progress,
                aria_valuemin=0,
                aria_valuemax=100,
            ),
        ),
        rx.cond(
            state.tasks.length() > 0,
            rx.el.ul(rx.foreach(state.tasks, task_chip), class_name="flex flex-wrap gap-1.5"),
        ),
        rx.cond(
            state.can_retry,
            rx.el.button(
                "Retry processing",
                on_click=state.retry,
                type="button",
                class_name=(
                    "self-start rounded-md bg-rose-600 px-3 py-1.5 text-xs font-semibold text-white "
                    "hover:bg-rose-700 focus:outline-none focus-visible:ring-2 focus-visible:ring-rose-500"
                ),
            ),
        ),
        *extra,
        class_name="flex flex-col gap-2 rounded-xl border border-slate-200 bg-white p-4 shadow-sm",
    )


def cover_picture(url: rx.Var, name: rx.Var) -> rx.Component:
    """The cover photo (``#cover-image``), or a soft gradient when there is none."""
    return rx.cond(
        url != "",
        rx.el.img(
            src=url, id="cover-image", alt="Cover photo of " + name, class_name="h-full w-full object-cover"
        ),
        rx.el.div(
            id="cover-image",
            role="img",
            aria_label="Default cover: a soft gradient",
            style=placeholder_style(COVER_PLACEHOLDER),
            class_name="h-full w-full bg-gradient-to-br from-indigo-400 via-sky-400 to-emerald-300",
        ),
    )


def avatar_picture(url: rx.Var, name: rx.Var) -> rx.Component:
    """The profile picture (``#avatar-image``), or the name's initial when there is none."""
    return rx.cond(
        url != "",
        rx.el.img(
            src=url,
            id="avatar-image",
            alt="Profile picture of " + name,
            class_name="h-full w-full object-cover",
        ),
        rx.el.div(
            rx.el.span(initials(name), class_name="text-4xl font-semibold text-white"),
            id="avatar-image",
            role="img",
            aria_label="Default profile picture: initials",
            style=placeholder_style(AVATAR_PLACEHOLDER),
            class_name="flex h-full w-full items-center justify-center bg-indigo-600",
        ),
    )


def cover() -> rx.Component:
    """The cover photo (1500×500), a dropzone over its whole area."""
    image = cover_picture(CoverState.photo_url, ProfileState.name)
    overlay = rx.el.span(
        rx.cond(CoverState.busy, "Processing…", "Change cover"),
        class_name=(
            "absolute bottom-3 right-3 rounded-full bg-black/55 px-3 py-1.5 text-xs font-medium "
            "text-white backdrop-blur transition group-hover:bg-black/70"
        ),
    )
    return _dropzone(
        CoverState,
        "cover-upload",
        rx.el.div(
            image,
            upload_progress(CoverState, "cover-progress", "Cover photo upload"),
            drop_hint("Drop to use this photo"),
            overlay,
            class_name="relative h-full w-full",
        ),
        class_name=(
            "group relative block aspect-[3/1] w-full cursor-pointer overflow-hidden rounded-2xl "
            "bg-slate-200 shadow-sm outline-none ring-indigo-500 ring-offset-2 has-[:focus-visible]:ring-2 "
            "data-[drag-over=true]:ring-4"
        ),
        label="Change cover photo",
    )


def avatar() -> rx.Component:
    """The profile picture (400×400, shown round), a dropzone."""
    image = avatar_picture(AvatarState.photo_url, ProfileState.name)
    badge = rx.el.span(
        rx.cond(AvatarState.busy, "…", "✎"),
        aria_hidden="true",
        class_name=(
            "absolute bottom-1 right-1 flex h-8 w-8 items-center justify-center rounded-full "
            "bg-white text-sm text-slate-700 shadow ring-1 ring-slate-200"
        ),
    )
    return _dropzone(
        AvatarState,
        "avatar-upload",
        rx.el.div(
            rx.el.div(
                image,
                upload_progress(AvatarState, "avatar-progress", "Profile picture upload"),
                drop_hint("Drop here"),
                class_name="relative h-full w-full overflow-hidden rounded-full",
            ),
            badge,
            class_name="relative h-full w-full",
        ),
        class_name=(
            "group relative block h-28 w-28 shrink-0 cursor-pointer rounded-full bg-white p-1 shadow-md "
            "outline-none ring-indigo-500 has-[:focus-visible]:ring-2 sm:h-36 sm:w-36 data-[drag-over=true]:ring-4"
        ),
        label="Change profile picture",
    )
