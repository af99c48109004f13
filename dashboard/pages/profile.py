"""The profile page: cover, avatar, name, bio, job progress and activity."""

import reflex as rx

from dashboard.components.activity import activity_panel
from dashboard.components.layout import page
from dashboard.components.photo import avatar, cover, job_panel
from dashboard.components.profile_text import bio_block, name_block
from dashboard.state import ActivityState, AvatarState, CoverState, ProfileState

ON_LOAD = [ProfileState.load, AvatarState.load_slot, CoverState.load_slot, ActivityState.refresh]


def profile_page() -> rx.Component:
    """The page at ``/``."""
    return page(
        cover(),
        rx.el.div(
            rx.el.div(avatar(), class_name="-mt-14 sm:-mt-20"),
            rx.el.div(name_block(), class_name="min-w-0 flex-1 pt-1 sm:pt-3"),
            class_name="flex flex-col items-start gap-3 px-2 sm:flex-row sm:items-end sm:gap-5 sm:px-6",
        ),
        rx.el.div(
            rx.el.div(bio_block(), activity_panel(), class_name="flex flex-col gap-4 lg:col-span-2"),
            rx.el.div(
                job_panel(AvatarState, "Profile picture", "avatar-status"),
                job_panel(CoverState, "Cover photo", "cover-status"),
                class_name="flex flex-col gap-4",
            ),
            class_name="mt-6 grid grid-cols-1 gap-4 lg:grid-cols-3",
        ),
    )
