"""Session tokens: random, 256 bits, and stored only as their SHA-256 (pure, no I/O)."""

from __future__ import annotations

import hashlib
import secrets

#: Bytes of randomness in a session token (256 bits; the browser holds it, the database its hash).
TOKEN_BYTES = 32


def new_token() -> str:
    """A fresh session token, URL-safe text."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """What the database keeps of a token: its SHA-256 in hex.

    A fast hash is right here: the token is 256 random bits, so it cannot be guessed
    from its hash the way a password could.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
