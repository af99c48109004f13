"""ProfileState: the signed-in account's name, headline and bio, loaded from the database and edited in place."""

from __future__ import annotations

import asyncio

import reflex as rx

from dashboard import profile_store
from dashboard.state.session import SessionState

LIMITS = {"name": 80, "headline": 120, "bio": 600}


class ProfileState(SessionState):
    """The profile's text fields and which of them is being edited."""

    name: str = ""
    headline: str = ""
    bio: str = ""
    editing: str = ""
    loaded: bool = False
    #: Where the public page of this profile is (``/u/<username>``).
    public_path: str = ""

    @rx.event
    async def load(self):
        """Read the account's profile (created on first use)."""
        account = await self._account()
        if account is None:
            self.reset()
            return
        profile = await asyncio.to_thread(profile_store.load_profile, account.account_id, account.username)
        self.name, self.headline, self.bio = profile.name, profile.headline, profile.bio
        self.public_path = f"/u/{account.username}"
        self.loaded = True

    @rx.event
    def start_editing(self, field: str):
        """Open one field for editing."""
        if field in LIMITS:
            self.editing = field

    @rx.event
    def cancel_editing(self):
        """Close the editor without saving."""
        self.editing = ""

    @rx.event
    async def save_field(self, form_data: dict):
        """Save the edited field from the form's ``value``."""
        account = await self._account()
        if account is None:
            return self._to_login()
        field = self.editing
        if field not in LIMITS:
            return
        value = str(form_data.get("value", "")).strip()
        if field == "name" and not value:
            return rx.toast.error("The name cannot be empty.")
        if len(value) > LIMITS[field]:
            return rx.toast.error(f"Keep the {field} under {LIMITS[field]} characters.")
        await asyncio.to_thread(profile_store.update_profile, account.account_id, **{field: value})
        setattr(self, field, value)
        self.editing = ""
        return rx.toast.success("Profile saved.")
