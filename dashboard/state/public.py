"""PublicProfileState: anyone's read-only profile at ``/u/<username>``, final stored photos only."""

from __future__ import annotations

import asyncio
from urllib.parse import unquote

import reflex as rx

from dashboard import photo_jobs, profile_store, profile_windows
from dashboard.accounts import store
from dashboard.models import Profile
from dashboard.settings import get_settings
from dashboard.state import live_profile
from dashboard.state.session import SessionState

PUBLIC_PREFIX = "/u/"


def username_in(path: str) -> str:
    """The username a ``/u/<username>`` path names ("" for anything else)."""
    if not path.startswith(PUBLIC_PREFIX):
        return ""
    return unquote(path[len(PUBLIC_PREFIX) :].strip("/").split("/", 1)[0])


@live_profile.receiver
class PublicProfileState(SessionState):
    """What the public page shows. Only the saved (final) photos' URLs ever reach this state."""

    found: bool = False
    loaded: bool = False
    #: The account shown (lower-case); not named ``username``, which is the route's argument.
    shown_username: str = ""
    name: str = ""
    headline: str = ""
    bio: str = ""
    avatar_url: str = ""
    cover_url: str = ""
    #: The visitor is the owner (shows a link back to editing).
    is_owner: bool = False
    #: The account whose profile is shown (backend only; 0 for none).
    _owner_id: int = 0

    def _take_pushed_text(self, owner_id: int, profile: Profile) -> None:
        """The owner saved their profile in some window: show the new text at once."""
        if self.found and self._owner_id == owner_id:
            self.name = profile.name or self.shown_username
            self.headline, self.bio = profile.headline, profile.bio

    @rx.event
    async def load(self):
        """Read the profile named by the address; unknown and deleted accounts show the 404 page."""
        await self.show(username_in(str(self.router.url.path or "")))

    async def show(self, username: str) -> None:
        """Fill the page for ``username`` (or the 404 page)."""
        self.reset()
        account = await asyncio.to_thread(store.find_account, username) if username else None
        profile: Profile | None = None
        if account is not None:
            profile = await asyncio.to_thread(profile_store.find_profile, account.account_id)
        self.loaded = True
        if account is None or profile is None:
            return
        viewer = await self._account()
        self.found = True
        self._owner_id = account.account_id
        self.shown_username = account.username
        self.name = profile.name or account.username
        self.headline, self.bio = profile.headline, profile.bio
        self.avatar_url = photo_jobs.photo_url(profile.avatar_handle) if profile.avatar_handle else ""
        self.cover_url = photo_jobs.photo_url(profile.cover_handle) if profile.cover_handle else ""
        self.is_owner = viewer is not None and viewer.account_id == account.account_id
        self.signed_in_as = viewer.username if viewer else ""
        await profile_windows.notes(get_settings().redis_url).note(
            account.account_id, self.router.session.client_token
        )
