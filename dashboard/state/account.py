"""AccountState: the sign-up, sign-in and settings forms (change password, delete account)."""

from __future__ import annotations

import asyncio
import logging

import reflex as rx

from dashboard import photo_jobs, profile_store
from dashboard.accounts import AccountError, ThrottleRule, TooManyAttempts, store
from dashboard.filestack import FilestackError
from dashboard.settings import Settings, get_settings
from dashboard.state.session import HOME_ROUTE, LOGIN_ROUTE, SessionState, safe_next

log = logging.getLogger(__name__)


def throttle_rule(settings: Settings) -> ThrottleRule:
    """The sign-in throttle from the settings."""
    return ThrottleRule(
        max_failures=settings.signin_max_failures,
        window_s=settings.signin_failure_window_s,
        lockout_s=settings.signin_lockout_s,
    )


class AccountState(SessionState):
    """What the account forms show: an error or a notice, and whether a request is running."""

    error: str = ""
    notice: str = ""
    working: bool = False

    @rx.event
    def clear_messages(self):
        """A form was opened: no message from before."""
        self.error, self.notice, self.working = "", "", False

    def _next(self) -> str:
        return safe_next(str(self.router.url.query_parameters.get("next", "") or ""))

    @rx.event
    async def sign_up(self, form_data: dict):
        """Create the account and its profile, sign in, and open the profile."""
        username = str(form_data.get("username", ""))
        password = str(form_data.get("password", ""))
        self.error, self.working = "", True
        yield
        try:
            opened = await asyncio.to_thread(
                store.create_account, username, password, ttl_s=get_settings().session_ttl_s
            )
        except AccountError as err:
            self.error, self.working = str(err), False
            return
        await asyncio.to_thread(
            profile_store.create_profile, opened.account.account_id, opened.account.username
        )
        log.info("account %s created", opened.account.account_id)
        await self._replace_session(opened)
        self.working = False
        yield rx.redirect(self._next())

    @rx.event
    async def sign_in(self, form_data: dict):
        """Check the password (throttled per username and per address) and open the page asked for."""
        username = str(form_data.get("username", ""))
        password = str(form_data.get("password", ""))
        settings = get_settings()
        self.error, self.working = "", True
        yield
        try:
            opened = await asyncio.to_thread(
                store.sign_in,
                username,
                password,
                self.router.session.client_ip,
                rule=throttle_rule(settings),
                ttl_s=settings.session_ttl_s,
            )
        except TooManyAttempts as err:
            log.warning("sign-in throttled for %r from %s", username[:40], self.router.session.client_ip)
            self.error, self.working = str(err), False
            return
        except AccountError as err:
            self.error, self.working = str(err), False
            return
        await self._replace_session(opened)
        self.working = False
        yield rx.redirect(self._next())

    async def _replace_session(self, opened: store.NewSession) -> None:
        """Another account signs in in this browser: the previous session ends and its data is forgotten."""
        if self.session_token:
            await asyncio.to_thread(store.end_session, self.session_token)
            await self._forget()
        await self._open(opened)

    @rx.event
    async def change_password(self, form_data: dict):
        """Set a new password: every other browser is signed out, this one stays signed in."""
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        self.error, self.notice, self.working = "", "", True
        yield
        try:
            opened = await asyncio.to_thread(
                store.change_password,
                account.account_id,
                str(form_data.get("current_password", "")),
                str(form_data.get("new_password", "")),
                ttl_s=get_settings().session_ttl_s,
            )
        except AccountError as err:
            self.error, self.working = str(err), False
            return
        await self._open(opened)
        self.notice, self.working = "Password changed. Other browsers were signed out.", False
        yield rx.toast.success("Password changed.")

    @rx.event
    async def delete_account(self, form_data: dict):
        """Delete every file and row of the account (after the password is confirmed), then sign out."""
        account = await self._account()
        if account is None:
            yield self._to_login()
            return
        password = str(form_data.get("password", ""))
        self.error, self.notice, self.working = "", "", True
        yield
        if not await asyncio.to_thread(store.check_password_of, account.account_id, password):
            self.error, self.working = "That is not your password; nothing was deleted.", False
            return
        try:
            await photo_jobs.delete_everything_of(account.account_id)
        except FilestackError as err:
            self.error, self.working = f"Your photos could not all be deleted: {err}", False
            return
        await asyncio.to_thread(store.delete_account_rows, account.account_id)
        log.info("account %s deleted", account.account_id)
        await self._forget()
        self.working = False
        yield rx.redirect(LOGIN_ROUTE)
        yield rx.toast.success("Your account and every photo in it were deleted.")


__all__ = ["HOME_ROUTE", "AccountState", "throttle_rule"]
