"""Accounts without a browser: password hashing and rules, session tokens, throttling, ownership filters."""

from __future__ import annotations

import pytest
import reflex as rx
import sqlmodel
from app_env import PASSWORD, clear_tables

from dashboard import profile_store
from dashboard.accounts import (
    InvalidUsername,
    ThrottleRule,
    TooManyAttempts,
    UsernameTaken,
    WeakPassword,
    WrongCredentials,
    passwords,
    store,
    throttle,
)
from dashboard.accounts.tokens import token_hash
from dashboard.models import AuthSession

RULE = ThrottleRule(max_failures=5, window_s=900, lockout_s=300)
DAY = 86_400.0


@pytest.fixture()
def db():
    clear_tables()


# -- passwords ---------------------------------------------------------------------------------


def test_passwords_are_hashed_with_argon2id_and_salted() -> None:
    first, second = (
        passwords.hash_password("a long secret phrase"),
        passwords.hash_password("a long secret phrase"),
    )
    assert first.startswith("$argon2id$") and first != second
    assert passwords.verify_password(first, "a long secret phrase")
    assert not passwords.verify_password(first, "a long secret phrasE")
    assert not passwords.verify_password("not a hash", "a long secret phrase")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short1!", "at least 8 characters"),
        ("password", "most common"),
        ("Password123", "most common"),
        ("x" * 257, "at most 256"),
        ("adalovelace", "cannot be your username"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(password: str, reason: str) -> None:
    with pytest.raises(WeakPassword, match=reason):
        passwords.check_password(password, "AdaLovelace")


def test_a_good_password_passes() -> None:
    passwords.check_password("analytical engine 1843", "ada")


@pytest.mark.parametrize("name", ["ab", "-ada", "ada lovelace", "ada/../x", "a" * 31, "ädä"])
def test_usernames_follow_the_rules(name: str) -> None:
    with pytest.raises(InvalidUsername):
        passwords.check_username(name)
    assert passwords.check_username("  Ada_Lovelace-2 ") == "ada_lovelace-2"


# -- sign up, sessions -------------------------------------------------------------------------


def test_sign_up_stores_only_the_token_hash(db) -> None:
    opened = store.create_account("Ada", PASSWORD, ttl_s=DAY)
    assert opened.account.username == "ada" and len(opened.token) >= 43  # 256 bits, URL-safe
    with rx.session() as session:
        rows = list(session.exec(sqlmodel.select(AuthSession)))
    assert [row.token_hash for row in rows] == [token_hash(opened.token)]
    assert all(opened.token not in str(row.model_dump()) for row in rows)
    assert store.resolve_session(opened.token, ttl_s=DAY) == opened.account
    assert store.resolve_session(opened.token + "x", ttl_s=DAY) is None
    assert store.resolve_session("", ttl_s=DAY) is None


def test_a_taken_username_is_refused_whatever_its_case(db) -> None:
    store.create_account("ada", PASSWORD, ttl_s=DAY)
    with pytest.raises(UsernameTaken):
        store.create_account("ADA", "another fine password", ttl_s=DAY)


def test_sessions_expire_and_slide(db) -> None:
    opened = store.create_account("ada", PASSWORD, ttl_s=DAY, now=1000.0)
    # Seen again before expiry: the expiry moves a full period on from then.
    assert store.resolve_session(opened.token, ttl_s=DAY, now=1000.0 + DAY - 10) is not None
    assert store.resolve_session(opened.token, ttl_s=DAY, now=1000.0 + 2 * DAY - 20) is not None
    # Not seen for a whole period: gone, and its row deleted.
    assert store.resolve_session(opened.token, ttl_s=DAY, now=1000.0 + 4 * DAY) is None
    with rx.session() as session:
        assert session.exec(sqlmodel.select(AuthSession)).first() is None


def test_sign_out_revokes_only_that_browser(db) -> None:
    first = store.create_account("ada", PASSWORD, ttl_s=DAY)
    second = store.sign_in("ada", PASSWORD, "10.0.0.1", rule=RULE, ttl_s=DAY)
    store.end_session(first.token)
    assert store.resolve_session(first.token, ttl_s=DAY) is None
    assert store.resolve_session(second.token, ttl_s=DAY) is not None


def test_changing_the_password_revokes_every_session(db) -> None:
    first = store.create_account("ada", PASSWORD, ttl_s=DAY)
    other = store.sign_in("ada", PASSWORD, "10.0.0.2", rule=RULE, ttl_s=DAY)
    with pytest.raises(WrongCredentials):
        store.change_password(first.account.account_id, "not it", "a brand new phrase", ttl_s=DAY)
    with pytest.raises(WeakPassword):
        store.change_password(first.account.account_id, PASSWORD, "12345678", ttl_s=DAY)
    renewed = store.change_password(first.account.account_id, PASSWORD, "a brand new phrase", ttl_s=DAY)
    assert store.resolve_session(first.token, ttl_s=DAY) is None
    assert store.resolve_session(other.token, ttl_s=DAY) is None
    assert store.resolve_session(renewed.token, ttl_s=DAY) == first.account
    with pytest.raises(WrongCredentials):
        store.sign_in("ada", PASSWORD, "10.0.0.3", rule=RULE, ttl_s=DAY)
    assert (
        store.sign_in("ada", "a brand new phrase", "10.0.0.3", rule=RULE, ttl_s=DAY).account == first.account
    )


# -- throttling --------------------------------------------------------------------------------


def test_wait_is_counted_from_the_last_failure_in_the_window() -> None:
    assert throttle.wait_seconds([100, 200, 300, 400], 401, RULE) == 0
    assert throttle.wait_seconds([100, 200, 300, 400, 500], 501, RULE) == pytest.approx(299)
    assert throttle.wait_seconds([100, 200, 300, 400, 500], 800, RULE) == 0
    # Failures older than the window do not count.
    assert throttle.wait_seconds([0, 200, 300, 400, 1000], 1001, RULE) == 0
    assert (
        throttle.wait_text(299) == "4 min 59 s"
        and throttle.wait_text(0.2) == "1 s"
        and throttle.wait_text(120) == "2 min"
    )


def test_failed_sign_ins_wait_per_username_and_say_how_long(db) -> None:
    store.create_account("ada", PASSWORD, ttl_s=DAY)
    now = 10_000.0
    for attempt in range(4):
        with pytest.raises(WrongCredentials, match=store.WRONG_CREDENTIALS):
            store.sign_in(
                "ada", f"guess number {attempt}", f"10.0.0.{attempt}", rule=RULE, ttl_s=DAY, now=now
            )
    with pytest.raises(TooManyAttempts, match=r"Try again in 5 min"):
        store.sign_in("ada", "guess number 5", "10.0.0.9", rule=RULE, ttl_s=DAY, now=now)
    # Even the right password waits, from any address.
    with pytest.raises(TooManyAttempts, match=r"Try again in 4 min"):
        store.sign_in("ada", PASSWORD, "10.9.9.9", rule=RULE, ttl_s=DAY, now=now + 30)
    opened = store.sign_in("ada", PASSWORD, "10.9.9.9", rule=RULE, ttl_s=DAY, now=now + 301)
    assert opened.account.username == "ada"


def test_failed_sign_ins_wait_per_address(db) -> None:
    store.create_account("ada", PASSWORD, ttl_s=DAY)
    for name in ("bob", "carol", "dave", "erin", "frank"):
        with pytest.raises((WrongCredentials, TooManyAttempts)):
            store.sign_in(name, "whatever it is", "203.0.113.7", rule=RULE, ttl_s=DAY, now=500.0)
    with pytest.raises(TooManyAttempts):
        store.sign_in("ada", PASSWORD, "203.0.113.7", rule=RULE, ttl_s=DAY, now=501.0)
    assert (
        store.sign_in("ada", PASSWORD, "198.51.100.1", rule=RULE, ttl_s=DAY, now=501.0).account.username
        == "ada"
    )


def test_the_answer_never_says_whether_a_username_exists(db) -> None:
    store.create_account("ada", PASSWORD, ttl_s=DAY)
    answers = []
    for name in ("ada", "nobody-here"):
        with pytest.raises(WrongCredentials) as caught:
            store.sign_in(name, "a wrong password", "10.1.1.1", rule=RULE, ttl_s=DAY)
        answers.append(str(caught.value))
    assert answers[0] == answers[1] == store.WRONG_CREDENTIALS
    # Unknown names are throttled exactly like known ones.
    for _ in range(4):
        with pytest.raises((WrongCredentials, TooManyAttempts)):
            store.sign_in("nobody-here", "a wrong password", "10.1.1.2", rule=RULE, ttl_s=DAY)
    with pytest.raises(TooManyAttempts):
        store.sign_in("nobody-here", "a wrong password", "10.1.1.3", rule=RULE, ttl_s=DAY)


# -- ownership filters ---------------------------------------------------------------------------


def test_profile_store_reaches_only_the_owners_rows(db) -> None:
    ada = store.create_account("ada", PASSWORD, ttl_s=DAY).account.account_id
    bob = store.create_account("bob", PASSWORD, ttl_s=DAY).account.account_id
    profile_store.create_profile(ada, "ada")
    profile_store.create_profile(bob, "bob")
    job = profile_store.add_job(ada, "avatar", "A" * 20, "me.jpg", "http://x/preview")
    assert profile_store.get_job(bob, job.id) is None
    assert profile_store.latest_job(bob, "avatar") is None and profile_store.open_job(bob, "avatar") is None
    assert profile_store.recent_jobs(bob) == []
    assert not profile_store.claim_original_delete(bob, job.id)
    with pytest.raises(LookupError):
        profile_store.update_job(bob, job.id, status="failed")
    assert profile_store.get_job(ada, job.id).status == "uploaded"
    # A newer upload of Bob's does not supersede Ada's open job.
    profile_store.add_job(bob, "avatar", "B" * 20, "bob.jpg", "http://x/preview")
    assert profile_store.get_job(ada, job.id).status == "uploaded"
    profile_store.update_profile(bob, name="Bob")
    assert profile_store.find_profile(ada).name == "ada"
    with pytest.raises(AttributeError):
        profile_store.update_profile(bob, owner_id=ada)
    assert profile_store.owned_handles(ada) == ["A" * 20]
    assert {j.owner_id for j in profile_store.open_jobs_of_everyone()} == {ada, bob}
