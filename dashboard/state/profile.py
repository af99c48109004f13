"""ProfileState: the name, headline and bio, loaded from the database and edited in place."""

from __future__ import annotations

import asyncio

import reflex as rx

from dashboard import profile_store

LIMITS = {"name": 80, "headline": 120, "bio": 600}


class ProfileState(rx.State):
    """The profile's text fields and which of them is being edited."""

    name: str = ""
    headline: str = ""
    bio: str = ""
    editing: str = ""
    loaded: bool = False

    @rx.event
    async def load(self):
        """Read the profile (created with defaults on first use)."""
        profile = await asyncio.to_thread(profile_store.load_profile)
        self.name, self.headline, self.bio = profile.name, profile.headline, profile.bio
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
        field = self.editing
        if field not in LIMITS:
            return
        value = str(form_data.get("value", "")).strip()
        if field == "name" and not value:
            return rx.toast.error("The name cannot be empty.")
        if len(value) > LIMITS[field]:
            return rx.toast.error(f"Keep the {field} under {LIMITS[field]} characters.")
        await asyncio.to_thread(profile_store.update_profile, **{field: value})
        setattr(self, field, value)
        self.editing = ""
        return rx.toast.success("Profile saved.")
