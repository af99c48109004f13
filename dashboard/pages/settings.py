"""``/settings``: change your password, delete your account."""

import reflex as rx

from dashboard.accounts.passwords import MIN_PASSWORD_LENGTH
from dashboard.components.forms import card, field, messages, submit
from dashboard.components.layout import page
from dashboard.state import AccountState, SessionState


def _section_title(title: str, text: str) -> rx.Component:
    return rx.el.div(
        rx.el.h2(title, class_name="text-lg font-semibold text-slate-900"),
        rx.el.p(text, class_name="text-sm text-slate-600"),
        class_name="flex flex-col gap-1",
    )


def password_card() -> rx.Component:
    """Change the password."""
    return card(
        _section_title("Password", "Changing it signs you out everywhere else."),
        rx.el.form(
            field(
                "current-password",
                "current_password",
                "Current password",
                input_type="password",
                autocomplete="current-password",
            ),
            field(
                "new-password",
                "new_password",
                "New password",
                input_type="password",
                autocomplete="new-password",
                hint=f"At least {MIN_PASSWORD_LENGTH} characters, and not a common one.",
            ),
            rx.el.div(submit("Change password", "change-password-submit"), class_name="sm:w-48"),
            on_submit=AccountState.change_password,
            reset_on_submit=True,
            class_name="flex flex-col gap-4",
            id="password-form",
        ),
    )


def delete_card() -> rx.Component:
    """Delete the account: every photo, the profile and the public page."""
    return card(
        _section_title(
            "Delete account",
            "Deletes your profile, your public page and every photo you uploaded. This cannot be undone.",
        ),
        rx.el.form(
            field(
                "delete-password",
                "password",
                "Type your password to confirm",
                input_type="password",
                autocomplete="current-password",
            ),
            rx.el.div(
                submit("Delete my account", "delete-account-button", danger=True), class_name="sm:w-56"
            ),
            on_submit=AccountState.delete_account,
            reset_on_submit=True,
            class_name="flex flex-col gap-4",
            id="delete-form",
        ),
        class_name="border-rose-200",
    )


def settings_page() -> rx.Component:
    """The page at ``/settings``."""
    return page(
        rx.el.div(
            rx.el.div(
                rx.el.h1("Settings", class_name="text-2xl font-bold tracking-tight text-slate-900"),
                rx.el.p("Signed in as @", SessionState.signed_in_as, class_name="text-sm text-slate-600"),
                class_name="flex flex-col gap-1",
            ),
            messages(),
            password_card(),
            delete_card(),
            class_name="mx-auto flex max-w-2xl flex-col gap-5",
        )
    )


SETTINGS_ON_LOAD = [AccountState.clear_messages, SessionState.require_account]
