"""Accounts, sessions and sign-in failures in the app's database.

Plain synchronous functions over Reflex's SQLModel sessions (state handlers call them
through ``asyncio.to_thread``). Sessions live in the same database as everything else,
so with several app workers on PostgreSQL any worker accepts any session.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import reflex as rx
import sqlmodel
from sqlalchemy.exc import IntegrityError

from dashboard.accounts import passwords, tokens
from dashboard.accounts.passwords import AccountError
from dashboard.accounts.throttle import ThrottleRule, wait_seconds, wait_text
from dashboard.models import Account, AuthSession, FirstAccount, SignInFailure

#: The expiry of a session is pushed forward at most this often (one write per minute per browser).
SLIDE_EVERY_S = 60.0
#: The one answer to a wrong username or password, whichever it was.
WRONG_CREDENTIALS = "Wrong username or password."


class UsernameTaken(AccountError):
    """Someone already has this username."""


class WrongCredentials(AccountError):
    """The username or the password is wrong (the message never says which)."""


class TooManyAttempts(AccountError):
    """Too many failed sign-ins for this username or from this address; ``wait_s`` until the next try."""

    def __init__(self, wait_s: float) -> None:
        self.wait_s = wait_s
        super().__init__(f"Too many failed sign-ins. Try again in {wait_text(wait_s)}.")


@dataclass(frozen=True)
class SignedIn:
    """Who a valid session belongs to; ``is_admin`` for the first account ever created."""

    account_id: int
    username: str
    is_admin: bool = False


@dataclass(frozen=True)
class NewSession:
    """A session just opened: the token goes to the browser, only its hash was stored."""

    account: SignedIn
    token: str


def _signed_in(account: Account) -> SignedIn:
    assert account.id is not None
    return SignedIn(account_id=account.id, username=account.username, is_admin=account.is_admin)


def _claim_first(session: sqlmodel.Session, account: Account) -> None:
    """Make ``account`` the admin if it is the first account ever created (one row, a fixed key:
    of two sign-ups racing on an empty database, one insert fails)."""
    if session.exec(sqlmodel.select(FirstAccount.slot)).first() is not None:
        return
    assert account.id is not None
    try:
        with session.begin_nested():
            session.add(FirstAccount(account_id=account.id))
    except IntegrityError:
        return
    account.is_admin = True
    session.add(account)


def _open_session(session: sqlmodel.Session, account_id: int, ttl_s: float, now: float) -> str:
    # Housekeeping on the way: sessions nobody used for a whole period go (one indexed delete).
    session.exec(sqlmodel.delete(AuthSession).where(AuthSession.expires_at <= now))  # type: ignore[call-overload]
    token = tokens.new_token()
    session.add(
        AuthSession(
            account_id=account_id,
            token_hash=tokens.token_hash(token),
            created_at=now,
            seen_at=now,
            expires_at=now + ttl_s,
        )
    )
    return token


def create_account(username: str, password: str, *, ttl_s: float, now: float | None = None) -> NewSession:
    """A new account, signed in. Raises :class:`InvalidUsername`, :class:`WeakPassword`, :class:`UsernameTaken`."""
    now = time.time() if now is None else now
    name = passwords.check_username(username)
    passwords.check_password(password, name)
    digest = passwords.hash_password(password)
    with rx.session() as session:
        if session.exec(sqlmodel.select(Account.id).where(Account.username == name)).first() is not None:
            raise UsernameTaken(f"The username '{name}' is taken; choose another.")
        account = Account(username=name, password_hash=digest, created_at=now, password_changed_at=now)
        session.add(account)
        try:
            session.flush()
        except IntegrityError as err:  # two sign-ups for one name at once
            session.rollback()
            raise UsernameTaken(f"The username '{name}' is taken; choose another.") from err
        assert account.id is not None
        _claim_first(session, account)
        token = _open_session(session, account.id, ttl_s, now)
        signed = _signed_in(account)
        session.commit()
    return NewSession(account=signed, token=token)


def _failure_times(session: sqlmodel.Session, key: str, since: float) -> list[float]:
    return list(
        session.exec(
            sqlmodel.select(SignInFailure.at).where(SignInFailure.key == key, SignInFailure.at > since)
        )
    )


def throttle_keys(username: str, client_addr: str) -> tuple[str, str]:
    """The two keys failures are counted under."""
    return f"user:{passwords.normalize_username(username)}", f"addr:{client_addr or 'unknown'}"


def sign_in_wait(username: str, client_addr: str, rule: ThrottleRule, now: float | None = None) -> float:
    """Seconds before this username from this address may try again (0: now)."""
    now = time.time() if now is None else now
    with rx.session() as session:
        return max(
            wait_seconds(_failure_times(session, key, now - rule.window_s), now, rule)
            for key in throttle_keys(username, client_addr)
        )


def sign_in(
    username: str,
    password: str,
    client_addr: str,
    *,
    rule: ThrottleRule,
    ttl_s: float,
    now: float | None = None,
) -> NewSession:
    """Check the password and open a session.

    Raises :class:`TooManyAttempts` (nothing is checked then) or :class:`WrongCredentials`,
    the same answer, in about the same time, whether the username exists or not.
    """
    now = time.time() if now is None else now
    wait = sign_in_wait(username, client_addr, rule, now)
    if wait > 0:
        raise TooManyAttempts(wait)
    name = passwords.normalize_username(username)
    with rx.session() as session:
        account = session.exec(sqlmodel.select(Account).where(Account.username == name)).first()
        if account is None:
            passwords.burn_verification(password)
            ok = False
        else:
            ok = passwords.verify_password(account.password_hash, password)
        user_key, addr_key = throttle_keys(username, client_addr)
        if not ok:
            # Failures too old to count any more go first (one indexed delete), then this one is counted.
            session.exec(  # type: ignore[call-overload]
                sqlmodel.delete(SignInFailure).where(
                    SignInFailure.at < now - max(rule.window_s, rule.lockout_s)
                )
            )
            session.add(SignInFailure(key=user_key, at=now))
            session.add(SignInFailure(key=addr_key, at=now))
            session.commit()
            wait = sign_in_wait(username, client_addr, rule, now)
            if wait > 0:
                raise TooManyAttempts(wait)
            raise WrongCredentials(WRONG_CREDENTIALS)
        assert account is not None and account.id is not None
        if passwords.needs_rehash(account.password_hash):
            account.password_hash = passwords.hash_password(password)
            session.add(account)
        session.exec(sqlmodel.delete(SignInFailure).where(SignInFailure.key == user_key))  # type: ignore[call-overload]
        token = _open_session(session, account.id, ttl_s, now)
        signed = _signed_in(account)
        session.commit()
    return NewSession(account=signed, token=token)


def resolve_session(token: str, *, ttl_s: float, now: float | None = None) -> SignedIn | None:
    """The account of a live session token, or ``None``; pushes a live session's expiry forward."""
    if not token:
        return None
    now = time.time() if now is None else now
    with rx.session() as session:
        row = session.exec(
            sqlmodel.select(AuthSession, Account).where(
                AuthSession.token_hash == tokens.token_hash(token), Account.id == AuthSession.account_id
            )
        ).first()
        if row is None:
            return None
        auth, account = row
        if auth.expires_at <= now:
            session.delete(auth)
            session.commit()
            return None
        if now - auth.seen_at >= SLIDE_EVERY_S:
            auth.seen_at = now
            auth.expires_at = now + ttl_s
            session.add(auth)
            session.commit()
        return _signed_in(account)


def end_session(token: str) -> None:
    """Sign one browser out: its session row is deleted."""
    if not token:
        return
    with rx.session() as session:
        session.exec(  # type: ignore[call-overload]
            sqlmodel.delete(AuthSession).where(AuthSession.token_hash == tokens.token_hash(token))
        )
        session.commit()


def check_password_of(account_id: int, password: str) -> bool:
    """Whether ``password`` is the account's current password."""
    with rx.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            passwords.burn_verification(password)
            return False
        return passwords.verify_password(account.password_hash, password)


def change_password(
    account_id: int, current: str, new: str, *, ttl_s: float, now: float | None = None
) -> NewSession:
    """Set a new password; every session of the account ends and this browser gets a new one."""
    now = time.time() if now is None else now
    with rx.session() as session:
        account = session.get(Account, account_id)
        if account is None or not passwords.verify_password(account.password_hash, current):
            raise WrongCredentials("Your current password is not right.")
        passwords.check_password(new, account.username)
        if passwords.verify_password(account.password_hash, new):
            raise passwords.WeakPassword("The new password is the same as the current one.")
        account.password_hash = passwords.hash_password(new)
        account.password_changed_at = now
        session.add(account)
        session.exec(sqlmodel.delete(AuthSession).where(AuthSession.account_id == account_id))  # type: ignore[call-overload]
        token = _open_session(session, account_id, ttl_s, now)
        signed = _signed_in(account)
        session.commit()
    return NewSession(account=signed, token=token)


def find_account(username: str) -> SignedIn | None:
    """The account with this username (for its public page), or ``None``."""
    name = passwords.normalize_username(username)
    if not name:
        return None
    with rx.session() as session:
        account = session.exec(sqlmodel.select(Account).where(Account.username == name)).first()
        return _signed_in(account) if account is not None else None


def delete_account_rows(account_id: int) -> None:
    """The account, its sessions and its username's sign-in failures (its profile and jobs go first)."""
    with rx.session() as session:
        account = session.get(Account, account_id)
        if account is None:
            return
        user_key, _ = throttle_keys(account.username, "")
        session.exec(sqlmodel.delete(AuthSession).where(AuthSession.account_id == account_id))  # type: ignore[call-overload]
        session.exec(sqlmodel.delete(SignInFailure).where(SignInFailure.key == user_key))  # type: ignore[call-overload]
        session.delete(account)
        session.commit()


__all__ = [
    "WRONG_CREDENTIALS",
    "NewSession",
    "SignedIn",
    "TooManyAttempts",
    "UsernameTaken",
    "WrongCredentials",
    "change_password",
    "check_password_of",
    "create_account",
    "delete_account_rows",
    "end_session",
    "find_account",
    "resolve_session",
    "sign_in",
    "sign_in_wait",
]
