"""Anyone's public profile (``/u/[username]``): read-only, final photos only, and a 404 page."""

import reflex as rx

from dashboard.components.layout import page
from dashboard.components.photo import avatar_picture, cover_picture
from dashboard.state import PublicProfileState

FOCUS = "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-600 focus-visible:ring-offset-2"
#: Long words and URLs break anywhere rather than widen the page.
WRAP = "min-w-0 max-w-full wrap-anywhere"


def _cover() -> rx.Component:
    return rx.el.div(
        cover_picture(PublicProfileState.cover_url, PublicProfileState.name),
        class_name="aspect-[3/1] w-full overflow-hidden rounded-2xl bg-slate-200 shadow-sm",
    )


def _avatar() -> rx.Component:
    return rx.el.div(
        rx.el.div(
            avatar_picture(PublicProfileState.avatar_url, PublicProfileState.name),
            class_name="h-full w-full overflow-hidden rounded-full",
        ),
        class_name="h-28 w-28 shrink-0 rounded-full bg-white p-1 shadow-md sm:h-36 sm:w-36",
    )


def _profile() -> rx.Component:
    return rx.el.article(
        _cover(),
        rx.el.div(
            rx.el.div(_avatar(), class_name="-mt-14 sm:-mt-20"),
            rx.el.div(
                rx.el.h1(
                    PublicProfileState.name,
                    id="profile-name",
                    class_name="text-2xl font-bold tracking-tight text-slate-900 sm:text-3xl " + WRAP,
                ),
                rx.el.p("@", PublicProfileState.shown_username, class_name="text-sm text-slate-600 " + WRAP),
                rx.cond(
                    PublicProfileState.headline != "",
                    rx.el.p(
                        PublicProfileState.headline,
                        id="profile-headline",
                        class_name="text-slate-700 " + WRAP,
                    ),
                ),
                class_name="flex w-full min-w-0 flex-1 flex-col gap-1 pt-1 sm:pt-3",
            ),
            rx.cond(
                PublicProfileState.is_owner,
                rx.el.a(
                    "Edit profile",
                    href="/profile",
                    class_name=(
                        "self-start rounded-lg bg-white px-3 py-1.5 text-sm font-semibold text-slate-700 shadow-sm "
                        "ring-1 ring-slate-200 hover:bg-slate-50 sm:self-end " + FOCUS
                    ),
                ),
            ),
            class_name="flex min-w-0 flex-col items-start gap-3 px-2 sm:flex-row sm:items-end sm:gap-5 sm:px-6",
        ),
        # No bio, no About card.
        rx.cond(
            PublicProfileState.bio != "",
            rx.el.section(
                rx.el.h2(
                    "About",
                    id="about-title",
                    class_name="text-sm font-semibold uppercase tracking-wide text-slate-600",
                ),
                rx.el.p(
                    PublicProfileState.bio,
                    id="profile-bio",
                    class_name="whitespace-pre-line leading-relaxed " + WRAP,
                ),
                class_name="mt-6 flex min-w-0 flex-col gap-2 rounded-xl border border-slate-200 bg-white p-5 shadow-sm",
                aria_labelledby="about-title",
            ),
        ),
        rx.cond(
            PublicProfileState.signed_in_as == "",
            rx.el.aside(
                rx.el.p("Want a page like this?", class_name="text-sm font-semibold text-slate-900"),
                rx.el.p(
                    "Upload a photo and write a few words; it takes a minute.",
                    class_name="text-sm text-slate-600",
                ),
                rx.el.a(
                    "Create your profile",
                    href="/signup",
                    class_name=(
                        "mt-1 self-start rounded-lg bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white "
                        "shadow-sm hover:bg-indigo-700 " + FOCUS
                    ),
                ),
                class_name="mt-6 flex flex-col gap-1 rounded-xl border border-indigo-100 bg-indigo-50/60 p-5",
            ),
        ),
        class_name="flex min-w-0 flex-col",
    )


def not_found() -> rx.Component:
    """The 404 page for an unknown or deleted account."""
    return rx.el.section(
        rx.el.p("404", class_name="text-sm font-semibold tracking-widest text-indigo-600"),
        rx.el.h1(
            "This profile does not exist", class_name="text-2xl font-bold tracking-tight text-slate-900"
        ),
        rx.el.p(
            "There is no one by this name here. The address may be mistyped, or the account was deleted.",
            class_name="max-w-md text-sm text-slate-600",
        ),
        rx.el.a(
            "Go to Profile Studio",
            href="/",
            class_name=(
                "mt-2 rounded-lg bg-indigo-600 px-4 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-700 "
                + FOCUS
            ),
        ),
        id="not-found",
        class_name="flex flex-col items-center gap-3 py-24 text-center",
    )


def public_page() -> rx.Component:
    """The page at ``/u/[username]``."""
    return page(
        rx.cond(
            PublicProfileState.loaded,
            rx.cond(PublicProfileState.found, _profile(), not_found()),
            rx.el.div(class_name="aspect-[3/1] w-full animate-pulse rounded-2xl bg-slate-200"),
        )
    )


ON_LOAD = PublicProfileState.load
