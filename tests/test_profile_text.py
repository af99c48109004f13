"""Editing the profile's text: limits and counters, drafts per field, conflicts between windows, pushes."""

from __future__ import annotations

import contextlib

import pytest
import reflex as rx
from app_env import Person, env  # noqa: F401  (fixture)

from dashboard import profile_store, profile_windows
from dashboard.state import ProfileState, PublicProfileState, live_profile
from dashboard.text_fields import LIMITS, SaveOutcome, TextField, clean, counter, outcome, problem

# --- limits, counters and cleaning (pure) ---------------------------------------------------------


@pytest.mark.parametrize("field", list(TextField))
def test_the_limit_itself_is_allowed_and_one_more_is_not(field: TextField) -> None:
    limit = LIMITS[field]
    assert problem(field, "x" * limit) == ""
    assert counter(field, "x" * limit).text == f"{limit} / {limit}" and not counter(field, "x" * limit).over
    message = problem(field, "x" * (limit + 1))
    assert message == f"The {field.label} can have at most {limit} characters; remove 1 character."
    assert counter(field, "x" * (limit + 1)).text == f"{limit + 1} / {limit}: 1 too many"
    assert "remove 3 characters" in problem(field, "x" * (limit + 3))


def test_counting_is_what_would_be_saved() -> None:
    # Spaces around are trimmed before counting, so the counter never disagrees with the save.
    assert counter(TextField.NAME, "  " + "x" * 80 + "  ").text == "80 / 80"
    # An emoji is one character, as a person counts it.
    assert counter(TextField.NAME, "Ada 🚀").used == 5
    assert problem(TextField.NAME, "   ") == "The name cannot be empty."
    assert problem(TextField.HEADLINE, "") == "" and problem(TextField.BIO, "") == ""


def test_cleaning_keeps_one_line_names_and_paragraphs_in_a_bio() -> None:
    assert clean(TextField.NAME, " Ada \n Lovelace\t") == "Ada Lovelace"
    assert clean(TextField.HEADLINE, "Engines,\r\nand  poetry") == "Engines, and poetry"
    assert clean(TextField.BIO, "  First.\r\n\r\n\r\n\r\nSecond.  \n") == "First.\n\nSecond."


def test_save_outcome_compares_each_field_with_where_the_edit_began() -> None:
    assert outcome(base="Ada", current="Ada", new="Ada L.") is SaveOutcome.SAVE
    assert outcome(base="Ada", current="Ada L.", new="Ada L.") is SaveOutcome.SAME
    assert outcome(base="Ada", current="Augusta", new="Ada L.") is SaveOutcome.CONFLICT


# --- the store's conditional write ------------------------------------------------------------------


async def test_a_field_is_written_only_if_it_still_holds_what_the_edit_began_from(env) -> None:
    ada = Person("ada")
    written, profile = profile_store.save_text_if_unchanged(ada.id, "name", "Ada L.", expected="ada")
    assert written and profile.name == "Ada L."
    written, profile = profile_store.save_text_if_unchanged(ada.id, "name", "Augusta", expected="ada")
    assert not written and profile.name == "Ada L."
    with pytest.raises(AttributeError):
        profile_store.save_text_if_unchanged(ada.id, "avatar_handle", "x", expected="")


# --- the editors' handlers ------------------------------------------------------------------------------


def _window(person: Person) -> ProfileState:
    """Another browser window of the same person (same session, its own state)."""
    root = rx.State()
    state = root.get_substate(ProfileState.get_full_name().split("."))
    state.session_token = person.token
    return state  # type: ignore[return-value]


async def test_each_field_keeps_its_draft_while_another_is_edited(env) -> None:
    ada = Person("ada")
    state = ada.state(ProfileState)
    await state.load()
    state.start_editing("name")
    state.set_draft("name", "Ada Lovelace")
    focus = state.start_editing("headline")
    assert "headline-input" in str(focus)
    assert state.editing["name"] and state.drafts["name"] == "Ada Lovelace"
    assert state.counters["name"] == "12 / 80"
    state.set_draft("headline", "y" * 121)
    assert state.over_limit["headline"] and state.counters["headline"] == "121 / 120: 1 too many"
    # Escape (Cancel) closes only its own editor and hands the focus back to its Edit button.
    focus = state.cancel_editing("headline")
    assert "headline-edit" in str(focus) and not state.editing["headline"]
    assert state.editing["name"] and state.drafts["name"] == "Ada Lovelace"


async def test_the_server_refuses_what_the_counter_calls_too_long_and_keeps_the_typing(env) -> None:
    ada = Person("ada")
    state = ada.state(ProfileState)
    await state.load()
    state.start_editing("name")
    await state.save_field("name", {"value": "n" * 81})
    assert state.errors["name"].startswith("The name can have at most 80 characters")
    assert state.editing["name"] and state.drafts["name"] == "n" * 81
    assert profile_store.find_profile(ada.id).name == "ada"
    events = await state.save_field("name", {"value": "n" * 80})
    assert profile_store.find_profile(ada.id).name == "n" * 80 == state.name
    assert not state.editing["name"] and any("name-edit" in str(e) for e in events)


async def test_a_stale_window_never_overwrites_a_newer_name_and_can_keep_either(env) -> None:
    ada = Person("ada")
    first, second = ada.state(ProfileState), _window(ada)
    await first.load()
    await second.load()
    second.start_editing("name")  # began from "ada"
    first.start_editing("name")
    await first.save_field("name", {"value": "Ada Lovelace"})
    assert profile_store.find_profile(ada.id).name == "Ada Lovelace"

    await second.save_field("name", {"value": "Augusta Ada"})
    # Not written: the window says so, shows theirs and keeps its own typing.
    assert profile_store.find_profile(ada.id).name == "Ada Lovelace"
    assert second.conflicts["name"] and second.name == "Ada Lovelace"
    assert second.editing["name"] and second.drafts["name"] == "Augusta Ada"

    await second.keep_mine("name")
    assert profile_store.find_profile(ada.id).name == "Augusta Ada" == second.name
    assert not second.editing["name"] and not second.conflicts["name"]

    # Keeping theirs drops the stale typing and writes nothing.
    first.start_editing("name")
    second.start_editing("name")
    await second.save_field("name", {"value": "Countess"})
    await first.save_field("name", {"value": "A. A. Lovelace"})
    assert first.conflicts["name"]
    first.keep_theirs("name")
    assert profile_store.find_profile(ada.id).name == "Countess" == first.name and not first.editing["name"]


async def test_changes_to_different_fields_in_two_windows_merge(env) -> None:
    ada = Person("ada")
    first, second = ada.state(ProfileState), _window(ada)
    await first.load()
    await second.load()
    first.start_editing("headline")
    second.start_editing("name")
    await first.save_field("headline", {"value": "Writes programs for engines"})
    await second.save_field("name", {"value": "Ada Lovelace"})
    assert not second.conflicts["name"]
    stored = profile_store.find_profile(ada.id)
    assert (stored.name, stored.headline) == ("Ada Lovelace", "Writes programs for engines")
    assert second.headline == "Writes programs for engines"


# --- pushing a saved profile into the other windows ------------------------------------------------------


class _Namespace:
    def __init__(self, connected: set[str]) -> None:
        self._token_manager = self
        self._connected = connected

    async def is_token_connected(self, token: str) -> bool:
        return token in self._connected


class _App:
    """Reflex's App as far as a push uses it: a state lock per window, and which windows are connected."""

    def __init__(self, windows: dict[str, rx.State], connected: set[str]) -> None:
        self.windows = windows
        self.event_namespace = _Namespace(connected)

    @contextlib.asynccontextmanager
    async def modify_state(self, token: rx.BaseStateToken):
        yield self.windows[token.ident]


def _root(state: rx.State) -> rx.State:
    return state._get_root_state()


async def test_a_save_reaches_every_other_open_window_of_the_profile_and_no_other(env) -> None:
    ada, bob = Person("ada"), Person("bob")
    saver, other = ada.state(ProfileState), _window(ada)
    await saver.load()
    await other.load()
    other.start_editing("name")
    visitor_root = rx.State()
    visitor = visitor_root.get_substate(PublicProfileState.get_full_name().split("."))
    await visitor.show("ada")
    bobs_visitor_root = rx.State()
    bobs_visitor = bobs_visitor_root.get_substate(PublicProfileState.get_full_name().split("."))
    await bobs_visitor.show("bob")
    await bob.state(ProfileState).load()
    notes = profile_windows.notes(None)
    for token in ("saver", "other", "visitor", "gone"):
        await notes.note(ada.id, token)
    await notes.note(bob.id, "bobs-visitor")
    app = _App(
        {
            "saver": _root(saver),
            "other": _root(other),
            "visitor": visitor_root,
            "bobs-visitor": bobs_visitor_root,
        },
        connected={"saver", "other", "visitor", "bobs-visitor"},
    )

    saver.start_editing("name")
    await saver.save_field("name", {"value": "Ada Lovelace"})
    told = await live_profile.push(ada.id, profile_store.find_profile(ada.id), origin="saver", app=app)

    assert told == 2
    assert other.name == "Ada Lovelace" and visitor.name == "Ada Lovelace"
    # The open editor keeps its draft; its base is unchanged, so saving will ask.
    assert other.editing["name"] and other.bases["name"] == "ada"
    assert bobs_visitor.name == "bob" and bob.state(ProfileState).name == "bob"
    # A window whose websocket is down is skipped (and takes the next push once back).
    assert "gone" in await notes.windows(ada.id)


async def test_a_window_now_showing_someone_else_takes_nothing(env) -> None:
    ada, bob = Person("ada"), Person("bob")
    window = bob.state(ProfileState)
    await window.load()
    await profile_windows.notes(None).note(ada.id, "bobs-tab")
    app = _App({"bobs-tab": _root(window)}, connected={"bobs-tab"})
    profile_store.update_profile(ada.id, name="Ada Lovelace")
    await live_profile.push(ada.id, profile_store.find_profile(ada.id), app=app)
    assert window.name == "bob"


async def test_window_notes_expire(env) -> None:
    now = [1000.0]
    notes = profile_windows.MemoryNotes(clock=lambda: now[0])
    await notes.note(1, "a")
    now[0] += 10
    await notes.note(1, "b")
    assert await notes.windows(1) == ["b", "a"]
    now[0] += profile_windows.WINDOW_TTL_S - 5
    assert await notes.windows(1) == ["b"]


async def test_window_notes_in_redis_are_shared_by_every_worker() -> None:
    import uuid

    from scale_support import require_redis

    url = require_redis()
    owner = int(uuid.uuid4().int % 10**9)
    now = [1000.0]
    worker_a = profile_windows.RedisNotes(url, clock=lambda: now[0])
    worker_b = profile_windows.RedisNotes(url, clock=lambda: now[0])
    try:
        await worker_a.note(owner, "tab-1")
        now[0] += 1
        await worker_b.note(owner, "tab-2")
        assert await worker_a.windows(owner) == ["tab-2", "tab-1"]
        await worker_b.forget(owner, "tab-2")
        assert await worker_a.windows(owner) == ["tab-1"]
        now[0] += profile_windows.WINDOW_TTL_S + 1
        assert await worker_b.windows(owner) == []
    finally:
        from dashboard.redis_clients import async_client

        await async_client(url).delete(f"dashboard:profile-windows:{owner}")


async def test_signing_out_stops_pushes_to_that_window(env) -> None:
    from dashboard.state import SessionState

    ada = Person("ada")
    state = ada.state(ProfileState)
    state.router = state.router.__class__.from_router_data({"token": "tab-1", "pathname": "/profile"})
    await state.load()
    notes = profile_windows.notes(None)
    assert "tab-1" in await notes.windows(ada.id)
    await ada.state(SessionState).sign_out()
    assert "tab-1" not in await notes.windows(ada.id)
    assert state._owner_id == 0 and state.name == ""


async def test_a_page_of_one_account_never_saves_into_another_signed_in_since(env) -> None:
    ada, bob = Person("ada"), Person("bob")
    page = ada.state(ProfileState)
    await page.load()
    page.start_editing("name")
    page.session_token = bob.token  # the browser signed in as Bob in another tab
    await page.save_field("name", {"value": "Ada Lovelace"})
    assert "signed in as @bob" in page.errors["name"]
    assert (
        profile_store.find_profile(bob.id).name == "bob" and profile_store.find_profile(ada.id).name == "ada"
    )
