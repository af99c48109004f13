"""The page shell: a top bar with navigation and the account menu, and a centred column."""

import reflex as rx

from dashboard.state import SessionState

FOCUS = "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"


def nav_link(label: str, href: str) -> rx.Component:
    """One link of the top bar."""
    return rx.el.a(
        label,
        href=href,
        class_name=(
            "whitespace-nowrap rounded-md px-2 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 "
            "hover:text-slate-900 sm:px-3 " + FOCUS
        ),
    )


def brand() -> rx.Component:
    """The product's name, linking home."""
    return rx.el.a(
        rx.el.span("◐", class_name="text-xl text-indigo-600", aria_hidden="true"),
        rx.el.span(
            "Profile Studio", class_name="whitespace-nowrap font-semibold tracking-tight text-slate-900"
        ),
        href="/",
        class_name="flex shrink-0 items-center gap-2 rounded-md focus:outline-none focus-visible:ring-2 "
        "focus-visible:ring-indigo-600",
    )


def account_menu() -> rx.Component:
    """Signed in: the name, settings and sign out. Signed out: sign in and sign up."""
    return rx.cond(
        SessionState.signed_in_as != "",
        rx.el.div(
            rx.el.span(nav_link("Profile", "/profile"), class_name="hidden sm:inline"),
            rx.el.span(nav_link("Workflows", "/workflows"), class_name="hidden sm:inline"),
            rx.el.span(nav_link("Jobs", "/jobs"), class_name="hidden sm:inline"),
            nav_link("Settings", "/settings"),
            rx.el.span(
                "@" + SessionState.signed_in_as,
                class_name="hidden max-w-[10rem] truncate px-2 text-sm text-slate-600 md:inline",
                id="signed-in-as",
            ),
            rx.el.button(
                "Sign out",
                type="button",
                id="logout-button",
                on_click=SessionState.sign_out,
                class_name=(
                    "whitespace-nowrap rounded-md px-3 py-1.5 text-sm font-medium text-slate-700 ring-1 "
                    "ring-slate-200 hover:bg-slate-50 " + FOCUS
                ),
            ),
            class_name="flex items-center gap-1",
        ),
        rx.el.div(
            nav_link("Sign in", "/login"),
            rx.el.a(
                rx.el.span("Sign up", class_name="sm:hidden"),
                rx.el.span("Create account", class_name="hidden sm:inline"),
                href="/signup",
                class_name=(
                    "whitespace-nowrap rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white "
                    "shadow-sm hover:bg-indigo-700 " + FOCUS
                ),
            ),
            class_name="flex min-w-0 flex-wrap items-center justify-end gap-1",
        ),
    )


def navbar(width: str = "max-w-5xl") -> rx.Component:
    """The top bar, as wide as the page's column."""
    return rx.el.header(
        rx.el.div(
            brand(),
            rx.el.nav(account_menu(), aria_label="Main"),
            class_name=f"mx-auto flex {width} min-w-0 items-center justify-between gap-2 px-4 py-3",
        ),
        class_name="sticky top-0 z-20 border-b border-slate-200 bg-white/90 backdrop-blur",
    )


def page(*children: rx.Component, width: str = "max-w-5xl") -> rx.Component:
    """A page: the top bar, then the content in a centred column (``max-w-7xl`` for tools)."""
    return rx.el.div(
        navbar(width),
        rx.el.main(*children, class_name=f"mx-auto {width} px-4 pb-16 pt-4 sm:pt-6"),
        class_name="min-h-screen bg-slate-50 font-sans text-slate-800 antialiased",
    )


def centered(*children: rx.Component) -> rx.Component:
    """A page with one narrow card in the middle (sign-in, sign-up)."""
    return rx.el.div(
        navbar(),
        rx.el.main(
            *children,
            class_name="mx-auto flex w-full max-w-md flex-col gap-6 px-4 pb-16 pt-10 sm:pt-16",
        ),
        class_name="min-h-screen bg-gradient-to-b from-slate-50 to-indigo-50/40 font-sans text-slate-800 antialiased",
    )
