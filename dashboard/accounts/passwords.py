"""Passwords: hashed with argon2id (argon2-cffi), and the rules a new password must meet.

Hashing is CPU- and memory-hard on purpose (tens of milliseconds); callers on the event
loop run these functions in a thread.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

#: Shortest password accepted.
MIN_PASSWORD_LENGTH = 8
#: Longest password accepted: hashing is costly, and nobody types more.
MAX_PASSWORD_LENGTH = 256
#: Usernames: 3-30 of a-z, 0-9, ``_`` and ``-``, starting with a letter or digit (stored lower-case).
USERNAME_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{2,29}")

_hasher = PasswordHasher()  # argon2id, RFC 9106 "low memory" parameters


class AccountError(ValueError):
    """Something about an account request is not right; the message is shown to the person."""


class InvalidUsername(AccountError):
    """The username does not follow the rules."""


class WeakPassword(AccountError):
    """The new password is refused; the message says why."""


def normalize_username(username: str) -> str:
    """How a username is stored and compared: trimmed and lower-case."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The normalized username, or :class:`InvalidUsername` saying what is wrong."""
    name = normalize_username(username)
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidUsername(
            "Usernames are 3 to 30 characters: letters, digits, '_' or '-', starting with a letter or digit."
        )
    return name


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """A small list of the most common passwords (shipped with the package), lower-case."""
    text = resources.files(__package__).joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def check_password(password: str, username: str = "") -> None:
    """Raise :class:`WeakPassword` with the reason when ``password`` may not be used."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at least {MIN_PASSWORD_LENGTH} characters for your password.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise WeakPassword(f"Use at most {MAX_PASSWORD_LENGTH} characters for your password.")
    lowered = password.lower()
    if lowered in common_passwords():
        raise WeakPassword("That password is one of the most common ones; choose another.")
    if username and lowered == normalize_username(username):
        raise WeakPassword("Your password cannot be your username.")


def hash_password(password: str) -> str:
    """The argon2id hash of ``password`` (PHC string: algorithm, parameters, salt, hash)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with older parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash("a password nobody has")


def burn_verification(password: str) -> None:
    """Spend the time of one verification, so an unknown username answers as slowly as a known one."""
    verify_password(_dummy_hash(), password)
