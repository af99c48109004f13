"""Accounts: sign-up, sign-in with throttling, sessions (hash-only tokens, sliding expiry), passwords.

Identity enters the app here and nowhere else: a state handler turns the browser's
session token into a :class:`SignedIn` with :func:`resolve_session`, and every query
about profiles and photo jobs is then filtered by that account's id.
"""

from dashboard.accounts.passwords import AccountError, InvalidUsername, WeakPassword
from dashboard.accounts.store import (
    NewSession,
    SignedIn,
    TooManyAttempts,
    UsernameTaken,
    WrongCredentials,
)
from dashboard.accounts.throttle import ThrottleRule

__all__ = [
    "AccountError",
    "InvalidUsername",
    "NewSession",
    "SignedIn",
    "ThrottleRule",
    "TooManyAttempts",
    "UsernameTaken",
    "WeakPassword",
    "WrongCredentials",
]
