"""Your own profile (``/profile``): cover, avatar, name, bio, job progress, activity, and a link to the public page."""

import reflex as rx

from dashboard.components.activity import activity_panel
from dashboard.components.camera_dialog import camera_dialog
from dashboard.components.crop_dialog import crop_dialog
from dashboard.components.layout import page
from dashboard.components.photo import avatar, cover, job_panel
from dashboard.components.photo_controls import cancel_button, dismiss_button, leave_guard
from dashboard.components.photo_picker import photo_picker_code
from dashboard.components.photo_sources import link_form, remove_button, undo_toast
from dashboard.components.profile_text import bio_block, name_block
from dashboard.state import ActivityState, AvatarState, CoverState, ProfileState, SessionState

ON_LOAD = [
    SessionState.require_account,
    ProfileState.load,
    AvatarState.load_slot,
    CoverState.load_slot,
    ActivityState.refresh,
]


def public_link() -> rx.Component:
    """Where others see this profile."""
    return rx.el.a(
        rx.el.span("View public page", class_name="font-semibold"),
        rx.el.span(ProfileState.public_path, class_name="hidden text-indigo-600 sm:inline"),
        href=ProfileState.public_path,
        id="public-profile-link",
        class_name=(
            "inline-flex items-center gap-2 self-start rounded-full bg-indigo-50 px-3 py-1.5 text-xs "
            "text-indigo-700 ring-1 ring-indigo-100 hover:bg-indigo-100 focus:outline-none "
            "focus-visible:ring-2 focus-visible:ring-indigo-600"
        ),
    )


def profile_page() -> rx.Component:
    """The page at ``/profile``."""
    return page(
        leave_guard(),
        cover(),
        rx.el.div(
            rx.el.div(avatar(), class_name="-mt-14 sm:-mt-20"),
            rx.el.div(
                name_block(),
                public_link(),
                class_name="flex w-full min-w-0 flex-1 flex-col gap-2 pt-1 sm:pt-3",
            ),
            class_name="flex min-w-0 flex-col items-start gap-3 px-2 sm:flex-row sm:items-end sm:gap-5 sm:px-6",
        ),
        rx.el.div(
            rx.el.div(bio_block(), activity_panel(), class_name="flex min-w-0 flex-col gap-4 lg:col-span-2"),
            rx.el.div(
                job_panel(
                    AvatarState,
                    "Profile picture",
                    "avatar-status",
                    cancel_button(AvatarState, "avatar", "avatar-upload"),
                    dismiss_button(AvatarState, "avatar"),
                    link_form(AvatarState, "avatar"),
                    remove_button(AvatarState, "avatar"),
                ),
                job_panel(
                    CoverState,
                    "Cover photo",
                    "cover-status",
                    cancel_button(CoverState, "cover", "cover-upload"),
                    dismiss_button(CoverState, "cover"),
                    link_form(CoverState, "cover"),
                    remove_button(CoverState, "cover"),
                ),
                # On a phone the photos' progress and errors come first, above the fold.
                class_name="order-first flex min-w-0 flex-col gap-4 lg:order-none",
            ),
            class_name="mt-6 grid grid-cols-1 gap-4 lg:grid-cols-3",
        ),
        crop_dialog(),
        camera_dialog(),
        photo_picker_code(),
        undo_toast(),
    )
