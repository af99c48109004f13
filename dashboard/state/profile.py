"""ProfileState: the signed-in account's name, headline and bio, loaded from the database and edited in place.

Each field has its own editor, so opening one never closes another with typing in it.
An edit remembers the value it started from; saving writes only if the field still
holds it (:func:`profile_store.save_text_if_unchanged`), so a change made in another
window since then is shown as a conflict to settle, never silently overwritten. Every
saved change is pushed at once into the owner's other windows and into open public
pages of the profile (:mod:`dashboard.state.live_profile`).
"""

from __future__ import annotations

import asyncio

import reflex as rx
from reflex.event import EventSpec

from dashboard import profile_store, profile_windows
from dashboard.accounts import store
from dashboard.models import Profile
from dashboard.settings import get_settings
from dashboard.state import live_profile
from dashboard.state.session import SessionState
from dashboard.text_fields import SaveOutcome, TextField, clean, counter, outcome, problem

FIELDS = tuple(field.value for field in TextField)


def focus_script(element_id: str) -> EventSpec:
    """Move the keyboard focus to ``element_id`` once it is on the page (it may be rendered a moment later)."""
    return rx.call_script(
        "(function focusWhenShown(tries) {"
        f" const el = document.getElementById({element_id!r});"
        " if (el && el.offsetParent !== null) { el.focus(); }"
        " else if (tries > 0) { requestAnimationFrame(() => focusWhenShown(tries - 1)); }"
        "})(120)"
    )


def _flags(value: bool) -> dict[str, bool]:
    return {field: value for field in FIELDS}


def _texts() -> dict[str, str]:
    return {field: "" for field in FIELDS}


@live_profile.receiver
class ProfileState(SessionState):
    """The profile's text fields and their editors (one per field, each with its draft)."""

    name: str = ""
    headline: str = ""
    bio: str = ""
    loaded: bool = False
    #: Where the public page of this profile is (``/u/<username>``).
    public_path: str = ""
    #: Which fields have their editor open.
    editing: dict[str, bool] = _flags(False)
    #: What is typed in each open editor (kept while other fields are edited).
    drafts: dict[str, str] = _texts()
    #: The value each open editor started from; the field changing elsewhere since then is a conflict.
    bases: dict[str, str] = _texts()
    #: Why the last save of a field was refused ("" when it was not).
    errors: dict[str, str] = _texts()
    #: A field's save met a change made elsewhere: "yes" while the person chooses whose text to keep.
    conflicts: dict[str, bool] = _flags(False)
    #: The account whose profile this window shows (backend only).
    _owner_id: int = 0

    @rx.var
    def counters(self) -> dict[str, str]:
        """The live counter of each editor: ``12 / 80``, or how many characters are too many."""
        return {field: counter(TextField(field), self.drafts.get(field, "")).text for field in FIELDS}

    @rx.var
    def over_limit(self) -> dict[str, bool]:
        """Fields whose draft is longer than allowed (their Save is disabled)."""
        return {field: counter(TextField(field), self.drafts.get(field, "")).over for field in FIELDS}

    def _show(self, profile: Profile) -> None:
        self.name, self.headline, self.bio = profile.name, profile.headline, profile.bio

    def _take_pushed_text(self, owner_id: int, profile: Profile) -> None:
        """Another window saved this profile: show its text (open editors keep their drafts)."""
        if self._owner_id and self._owner_id == owner_id:
            self._show(profile)

    @rx.event
    async def load(self):
        """Read the account's profile (created on first use) and note this window as one showing it."""
        account = await self._account()
        if account is None:
            self.reset()
            return
        profile = await asyncio.to_thread(profile_store.load_profile, account.account_id, account.username)
        if self._owner_id != account.account_id:
            # Another account's editors never carry over; coming back to one's own page keeps them.
            self.editing, self.drafts, self.bases = _flags(False), _texts(), _texts()
            self.errors, self.conflicts = _texts(), _flags(False)
        self._owner_id = account.account_id
        self._show(profile)
        self.public_path = f"/u/{account.username}"
        self.loaded = True
        await profile_windows.notes(get_settings().redis_url).note(
            account.account_id, self.router.session.client_token
        )

    @rx.event
    def start_editing(self, field: str):
        """Open one field's editor (others stay as they are, typing included)."""
        if field not in FIELDS:
            return None
        if not self.editing[field]:
            current = getattr(self, field)
            self.editing[field] = True
            self.drafts[field] = current
            self.bases[field] = current
            self.errors[field] = ""
            self.conflicts[field] = False
        return focus_script(f"{field}-input")

    @rx.event
    def set_draft(self, field: str, value: str):
        """What is typed in an editor (for its counter, and kept while other fields are edited)."""
        if field in FIELDS and self.editing[field]:
            self.drafts[field] = str(value)
            self.errors[field] = ""

    @rx.event
    def cancel_editing(self, field: str):
        """Close one editor without saving (Cancel or Escape); the focus goes back to its Edit button."""
        if field not in FIELDS:
            return None
        self._close(field)
        return focus_script(f"{field}-edit")

    def _close(self, field: str) -> None:
        self.editing[field] = False
        self.drafts[field] = ""
        self.bases[field] = ""
        self.errors[field] = ""
        self.conflicts[field] = False

    @rx.event
    async def save_field(self, field: str, form_data: dict):
        """Save one field from its editor's ``value``, unless it changed elsewhere since the edit began."""
        if field not in FIELDS or not self.editing[field]:
            return None
        self.drafts[field] = str(form_data.get("value", ""))
        return await self._save(TextField(field), base=self.bases[field])

    @rx.event
    async def keep_mine(self, field: str):
        """Settle a conflict with this window's text: it replaces the text saved elsewhere."""
        if field not in FIELDS or not self.conflicts[field]:
            return None
        return await self._save(TextField(field), base=self.bases[field])

    @rx.event
    def keep_theirs(self, field: str):
        """Settle a conflict with the text saved elsewhere: this window's draft is dropped."""
        if field not in FIELDS:
            return None
        self._close(field)
        return [
            rx.toast.info(f"Kept the {TextField(field).label} saved elsewhere."),
            focus_script(f"{field}-edit"),
        ]

    async def _save(self, field: TextField, base: str):
        account = await self._account()
        if account is None:
            return self._to_login()
        if account.account_id != self._owner_id:
            # The browser signed in as someone else in another tab: this page shows another profile.
            self.errors[field] = (
                f"You are now signed in as @{account.username}: reload the page to edit that profile."
            )
            return None
        draft = self.drafts[field]
        refused = problem(field, draft)
        if refused:
            self.errors[field] = refused
            return focus_script(f"{field}-input")
        value = clean(field, draft)
        written, profile = await asyncio.to_thread(
            profile_store.save_text_if_unchanged, account.account_id, field.value, value, base
        )
        stored = getattr(profile, field.value)
        self._show(profile)
        if not written and outcome(base, stored, value) is SaveOutcome.CONFLICT:
            # Changed elsewhere since this edit began: show theirs, keep ours in the editor, ask.
            self.bases[field] = stored
            self.conflicts[field] = True
            self.errors[field] = ""
            return focus_script(f"{field}-keep-mine")
        self._close(field)
        return [
            ProfileState.tell_other_windows,
            rx.toast.success(f"{field.label.capitalize()} saved."),
            focus_script(f"{field}-edit"),
        ]

    @rx.event(background=True)
    async def tell_other_windows(self):
        """Push the saved profile into every other window showing it (outside this window's lock)."""
        async with self:
            origin = self.router.session.client_token
            session_token = self.session_token
        account = await asyncio.to_thread(
            store.resolve_session, session_token, ttl_s=get_settings().session_ttl_s
        )
        if account is None:
            return
        profile = await asyncio.to_thread(profile_store.find_profile, account.account_id)
        if profile is not None:
            await live_profile.push(account.account_id, profile, origin=origin)
