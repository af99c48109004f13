"""The page shell: a top bar with navigation and a centred column."""

import reflex as rx


def nav_link(label: str, href: str) -> rx.Component:
    """One link of the top bar."""
    return rx.el.a(
        label,
        href=href,
        class_name=(
            "rounded-md px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 "
            "hover:text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        ),
    )


def navbar(width: str = "max-w-5xl") -> rx.Component:
    """The top bar, as wide as the page's column."""
    return rx.el.header(
        rx.el.div(
            rx.el.a(
                rx.el.span("◐", class_name="text-indigo-600 text-xl", aria_hidden="true"),
                rx.el.span("Profile Studio", class_name="font-semibold tracking-tight text-slate-900"),
                href="/",
                class_name="flex items-center gap-2",
            ),
            rx.el.nav(
                nav_link("Profile", "/"),
                nav_link("Workflows", "/workflows"),
                nav_link("Jobs", "/jobs"),
                class_name="flex items-center gap-1",
                aria_label="Main",
            ),
            class_name=f"mx-auto flex {width} items-center justify-between px-4 py-3",
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
