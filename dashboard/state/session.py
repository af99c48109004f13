"""SessionState: who is signed in, and the pages' guards. The root of every state that needs an account.

The browser holds a random session token in a cookie; the database holds only its hash.
Every handler that acts for a person calls :meth:`SessionState._account`, which turns
the token into the account (or ``None``); nothing an event carries says who the person is.
"""

from __future__ import annotations

import asyncio
import logging
from urllib.parse import quote

import reflex as rx
from reflex.event import EventSpec

from dashboard import profile_windows
from dashboard.accounts import SignedIn, store
from dashboard.settings import get_settings

log = logging.getLogger(__name__)

#: The cookie holding the session token. The server decides when a session ends (sliding
#: expiry); the cookie itself lives as long as browsers allow.
SESSION_COOKIE = "profile_studio_session"
_COOKIE_MAX_AGE_S = 400 * 24 * 3600

LOGIN_ROUTE = "/login"
HOME_ROUTE = "/profile"


def safe_next(path: str) -> str:
    """A path inside the app to go to after signing in (never another site)."""
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return HOME_ROUTE
    if path.startswith((LOGIN_ROUTE, "/signup")):
        return HOME_ROUTE
    return path


class SessionState(rx.State):
    """The session cookie and the signed-in username the navigation shows."""

    session_token: str = rx.Cookie(
        "",
        name=SESSION_COOKIE,
        path="/",
        max_age=_COOKIE_MAX_AGE_S,
        same_site="strict",
        secure=get_settings().session_cookie_secure or None,
    )
    #: The signed-in username ("" when signed out); shown in the navigation.
    signed_in_as: str = ""

    async def _account(self) -> SignedIn | None:
        """The account this browser's session belongs to, checked against the database now."""
        token = self.session_token
        if not token:
            return None
        return await asyncio.to_thread(store.resolve_session, token, ttl_s=get_settings().session_ttl_s)

    def _here(self) -> str:
        url = self.router.url
        path = str(url.path or HOME_ROUTE)
        return path + (f"?{url.query}" if url.query else "")

    def _to_login(self) -> EventSpec:
        return rx.redirect(f"{LOGIN_ROUTE}?next={quote(self._here(), safe='/')}")

    @rx.event
    async def require_account(self):
        """Guard of the pages that need an account: signed out, go to sign-in (and come back after)."""
        account = await self._account()
        if account is None:
            self.signed_in_as = ""
            return self._to_login()
        self.signed_in_as = account.username

    @rx.event
    async def route_home(self):
        """``/``: your own profile when signed in, the sign-in page otherwise."""
        account = await self._account()
        self.signed_in_as = account.username if account else ""
        return rx.redirect(HOME_ROUTE if account else LOGIN_ROUTE)

    @rx.event
    async def note_account(self):
        """Pages open to everyone: just show who is signed in."""
        account = await self._account()
        self.signed_in_as = account.username if account else ""

    async def _open(self, session: store.NewSession):
        """A session was opened for this browser: keep its token, show the name."""
        self.session_token = session.token
        self.signed_in_as = session.account.username

    @rx.event
    async def sign_out(self):
        """End this browser's session; every page forgets the account's data."""
        token = self.session_token
        await asyncio.to_thread(store.end_session, token)
        await self._forget()
        return rx.redirect(LOGIN_ROUTE)

    async def _forget(self) -> None:
        """Clear the session and the account's data from this browser's states."""
        from dashboard.state.activity import ActivityState
        from dashboard.state.jobs import JobDetailState, JobListState
        from dashboard.state.photo import AvatarState, CoverState
        from dashboard.state.profile import ProfileState
        from dashboard.state.sample_run import SampleRunState
        from dashboard.state.studio import StudioState
        from dashboard.state.workflow_editor import WorkflowEditorState
        from dashboard.state.workflows import WorkflowListState

        profile = await self.get_state(ProfileState)
        if profile._owner_id:
            # This window no longer shows the account's profile: no more pushes of it here.
            await profile_windows.notes(get_settings().redis_url).forget(
                profile._owner_id, self.router.session.client_token
            )
        self.session_token = ""
        self.signed_in_as = ""
        for state_class in (
            ProfileState,
            AvatarState,
            CoverState,
            ActivityState,
            StudioState,
            WorkflowListState,
            WorkflowEditorState,
            SampleRunState,
            JobListState,
            JobDetailState,
        ):
            (await self.get_state(state_class)).reset()
