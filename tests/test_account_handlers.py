"""The account forms' handlers without a browser: sign up, sign in (throttled), sign out, change password, guards."""

from __future__ import annotations

import reflex as rx
from app_env import PASSWORD, Person, env  # noqa: F401  (fixture)

from dashboard import profile_store
from dashboard.accounts import store
from dashboard.state import AccountState, AvatarState, ProfileState, SessionState


def _browser() -> rx.State:
    return rx.State()


def _state(root: rx.State, cls):
    return root.get_substate(cls.get_full_name().split("."))


async def _drain(generator) -> list:
    return [item async for item in generator]


async def test_sign_up_opens_a_session_and_a_profile(env) -> None:
    form = _state(_browser(), AccountState)
    events = await _drain(form.sign_up({"username": "Ada", "password": "short"}))
    assert "at least 8 characters" in form.error and form.session_token == ""
    events = await _drain(form.sign_up({"username": "Ada", "password": PASSWORD}))
    assert form.error == "" and form.signed_in_as == "ada" and form.session_token
    assert any("/profile" in str(e) for e in events)
    account = store.resolve_session(form.session_token, ttl_s=60)
    assert account is not None and profile_store.find_profile(account.account_id).name == "ada"
    again = _state(_browser(), AccountState)
    await _drain(again.sign_up({"username": "ADA", "password": PASSWORD}))
    assert "taken" in again.error


async def test_sign_in_says_the_same_for_unknown_names_and_shows_the_wait(env) -> None:
    Person("ada")
    form = _state(_browser(), AccountState)
    answers = []
    for name in ("ada", "nobody"):
        await _drain(form.sign_in({"username": name, "password": "a wrong password"}))
        answers.append(form.error)
    assert answers == ["Wrong username or password."] * 2
    for _ in range(3):
        await _drain(form.sign_in({"username": "ada", "password": "a wrong password"}))
    await _drain(form.sign_in({"username": "ada", "password": PASSWORD}))
    assert form.error.startswith("Too many failed sign-ins. Try again in ") and form.session_token == ""


async def test_sign_in_goes_back_to_the_page_asked_for(env) -> None:
    Person("ada")
    root = _browser()
    form = _state(root, AccountState)
    form.router = form.router.__class__.from_router_data(
        {"asPath": "/login?next=/settings", "pathname": "/login"}
    )
    events = await _drain(form.sign_in({"username": "ada", "password": PASSWORD}))
    assert form.session_token and any("/settings" in str(e) for e in events)


async def test_signing_in_as_someone_else_ends_the_first_session(env) -> None:
    ada, bob = Person("ada"), Person("bob")
    ada_profile = ada.state(ProfileState)
    await ada_profile.load()
    assert ada_profile.name == "ada"
    await _drain(ada.state(AccountState).sign_in({"username": "bob", "password": PASSWORD}))
    assert store.resolve_session(ada.token, ttl_s=60) is None
    assert ada.state(ProfileState).name == "" and ada.state(SessionState).signed_in_as == "bob"
    assert store.resolve_session(bob.token, ttl_s=60) is not None


async def test_sign_out_revokes_the_session_and_forgets_the_page(env) -> None:
    ada = Person("ada")
    await ada.state(ProfileState).load()
    avatar = ada.state(AvatarState)
    avatar.photo_url = "http://testserver/cdn/AAAAAAAAAAAAAAAAAAAA"
    event = await ada.state(SessionState).sign_out()
    assert "/login" in str(event)
    assert store.resolve_session(ada.token, ttl_s=60) is None
    assert ada.state(SessionState).session_token == "" and ada.state(ProfileState).name == ""
    assert avatar.photo_url == ""
    guard = await ada.state(SessionState).require_account()
    assert "/login?next=" in str(guard)


async def test_changing_the_password_signs_out_other_browsers(env) -> None:
    ada = Person("ada")
    other = store.sign_in("ada", PASSWORD, "10.0.0.1", rule=store_rule(), ttl_s=60)
    form = ada.state(AccountState)
    await _drain(form.change_password({"current_password": "wrong one", "new_password": "a new long phrase"}))
    assert "not right" in form.error
    await _drain(form.change_password({"current_password": PASSWORD, "new_password": "a new long phrase"}))
    assert form.error == "" and "Other browsers were signed out" in form.notice
    assert form.session_token != ada.token and store.resolve_session(form.session_token, ttl_s=60) is not None
    assert store.resolve_session(other.token, ttl_s=60) is None
    assert store.resolve_session(ada.token, ttl_s=60) is None


def store_rule():
    from dashboard.accounts import ThrottleRule

    return ThrottleRule(max_failures=5, window_s=900, lockout_s=300)


async def test_home_sends_people_where_they_belong(env) -> None:
    ada = Person("ada")
    assert "/profile" in str(await ada.state(SessionState).route_home())
    assert "/login" in str(await _state(_browser(), SessionState).route_home())
