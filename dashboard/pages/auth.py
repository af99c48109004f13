"""The sign-in and sign-up pages (``/login``, ``/signup``) and ``/``, which sends you on."""

import reflex as rx

from dashboard.accounts.passwords import MIN_PASSWORD_LENGTH
from dashboard.components.forms import card, field, messages, submit
from dashboard.components.layout import centered
from dashboard.state import AccountState, SessionState


def _heading(title: str, subtitle: str) -> rx.Component:
    return rx.el.div(
        rx.el.div(
            rx.el.span("◐", class_name="text-2xl text-indigo-600", aria_hidden="true"),
            class_name="flex h-12 w-12 items-center justify-center rounded-2xl bg-indigo-50 ring-1 ring-indigo-100",
        ),
        rx.el.h1(title, class_name="text-2xl font-bold tracking-tight text-slate-900"),
        rx.el.p(subtitle, class_name="text-sm text-slate-600"),
        class_name="flex flex-col items-center gap-2 text-center",
    )


def login_page() -> rx.Component:
    """``/login``."""
    return centered(
        _heading("Welcome back", "Sign in to edit your profile."),
        card(
            rx.el.form(
                field("login-username", "username", "Username", autocomplete="username", auto_focus=True),
                field(
                    "login-password",
                    "password",
                    "Password",
                    input_type="password",
                    autocomplete="current-password",
                ),
                messages(),
                submit("Sign in", "login-submit"),
                on_submit=AccountState.sign_in,
                reset_on_submit=False,
                class_name="flex flex-col gap-4",
                id="login-form",
            ),
        ),
        rx.el.p(
            "New here? ",
            rx.el.a(
                "Create an account",
                href="/signup",
                class_name="font-semibold text-indigo-600 hover:text-indigo-700",
            ),
            class_name="text-center text-sm text-slate-600",
        ),
    )


def signup_page() -> rx.Component:
    """``/signup``."""
    return centered(
        _heading("Create your profile", "A name, a photo and a few words: your page in a minute."),
        card(
            rx.el.form(
                field(
                    "signup-username",
                    "username",
                    "Username",
                    autocomplete="username",
                    hint="3–30 letters, digits, '_' or '-'. Your page will be at /u/<username>.",
                    auto_focus=True,
                ),
                field(
                    "signup-password",
                    "password",
                    "Password",
                    input_type="password",
                    autocomplete="new-password",
                    hint=f"At least {MIN_PASSWORD_LENGTH} characters, and not a common one.",
                ),
                messages(),
                submit("Create account", "signup-submit"),
                on_submit=AccountState.sign_up,
                reset_on_submit=False,
                class_name="flex flex-col gap-4",
                id="signup-form",
            ),
        ),
        rx.el.p(
            "Already have an account? ",
            rx.el.a(
                "Sign in", href="/login", class_name="font-semibold text-indigo-600 hover:text-indigo-700"
            ),
            class_name="text-center text-sm text-slate-600",
        ),
    )


def home_page() -> rx.Component:
    """``/``: sends you to your profile or to sign-in; shows a quiet placeholder meanwhile."""
    return centered(
        rx.el.div(
            rx.el.div(
                class_name="h-8 w-8 animate-spin rounded-full border-2 border-indigo-200 border-t-indigo-600"
            ),
            rx.el.p("Opening Profile Studio…", class_name="text-sm text-slate-500"),
            class_name="flex flex-col items-center gap-3 pt-16",
            role="status",
        ),
    )


LOGIN_ON_LOAD = [AccountState.clear_messages, SessionState.note_account]
HOME_ON_LOAD = SessionState.route_home
