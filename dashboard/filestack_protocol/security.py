"""Security policies and signatures, computed exactly as Filestack's SDKs do.

A policy is JSON serialised with ``json.dumps(policy, sort_keys=True)``, encoded as
URL-safe base64 with its ``=`` padding kept, and signed with hex HMAC-SHA256 keyed by
the app secret. The signature covers the base64 string itself, so the server checks
the string it was given, never a re-encoding of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

#: Calls a policy may grant (Filestack's ``call`` enum).
CALLS: frozenset[str] = frozenset(
    {"pick", "read", "stat", "write", "writeUrl", "store", "convert", "remove", "exif", "runWorkflow"}
)


class PolicyError(Exception):
    """A policy that does not allow the request; ``str(err)`` says why."""


class Policy(BaseModel):
    """The fields of a Filestack security policy."""

    model_config = ConfigDict(populate_by_name=True, extra="allow")

    expiry: int
    call: list[str] | None = None
    handle: str | None = None
    url: str | None = None
    max_size: int | None = Field(default=None, alias="maxSize")
    min_size: int | None = Field(default=None, alias="minSize")
    path: str | None = None
    container: str | None = None

    def to_json_dict(self) -> dict[str, Any]:
        """The policy as Filestack expects it: aliases, no unset fields."""
        return self.model_dump(by_alias=True, exclude_none=True)


@dataclass(frozen=True)
class Security:
    """A policy string and its signature, ready to put in a URL or a request."""

    policy: str
    signature: str

    def as_task(self) -> str:
        """The ``security=p:...,s:...`` URL segment."""
        return f"security=p:{self.policy},s:{self.signature}"

    def as_query(self) -> dict[str, str]:
        """Query parameters for the File and Upload APIs."""
        return {"policy": self.policy, "signature": self.signature}


def encode_policy(policy: dict[str, Any] | Policy) -> str:
    """URL-safe base64 of the sorted-key JSON, padding kept."""
    data = policy.to_json_dict() if isinstance(policy, Policy) else policy
    raw = json.dumps(data, sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode("ascii")


def sign(policy_b64: str, secret: str) -> str:
    """Hex HMAC-SHA256 of the encoded policy, keyed by the app secret."""
    return hmac.new(secret.encode(), policy_b64.encode(), hashlib.sha256).hexdigest()


def make_security(policy: dict[str, Any] | Policy, secret: str) -> Security:
    """Encode and sign a policy."""
    encoded = encode_policy(policy)
    return Security(encoded, sign(encoded, secret))


def scoped_security(
    secret: str,
    *,
    calls: Iterable[str] | None = None,
    handle: str | None = None,
    ttl_seconds: int = 300,
    now: float | None = None,
    path: str | None = None,
) -> Security:
    """A short-lived policy limited to some calls and, optionally, one handle and a store ``path`` regex."""
    expiry = int((time.time() if now is None else now) + ttl_seconds)
    body: dict[str, Any] = {"expiry": expiry}
    if calls is not None:
        unknown = set(calls) - CALLS
        if unknown:
            raise ValueError(f"unknown policy call(s): {', '.join(sorted(unknown))}")
        body["call"] = sorted(set(calls))
    if handle:
        body["handle"] = handle
    if path:
        body["path"] = path
    return make_security(body, secret)


def decode_policy(policy_b64: str) -> Policy:
    """Decode a policy string strictly (padding required), or raise PolicyError."""
    if len(policy_b64) % 4:
        raise PolicyError("policy was not properly url-safe base64 encoded")
    try:
        raw = base64.urlsafe_b64decode(policy_b64.encode("ascii"))
        if base64.urlsafe_b64encode(raw).decode("ascii") != policy_b64:
            raise PolicyError("policy was not properly url-safe base64 encoded")
        data = json.loads(raw)
    except (binascii.Error, UnicodeError, ValueError) as err:
        if isinstance(err, PolicyError):
            raise
        raise PolicyError("policy was not properly url-safe base64 encoded") from err
    if not isinstance(data, dict):
        raise PolicyError("policy must be a JSON object")
    try:
        return Policy.model_validate(data)
    except ValidationError as err:
        raise PolicyError(f"invalid policy: {err.errors()[0]['msg']} ({err.errors()[0]['loc']})") from err


def verify(
    policy_b64: str,
    signature: str,
    secret: str,
    *,
    call: str,
    handle: str | None = None,
    url: str | None = None,
    size: int | None = None,
    now: float | None = None,
) -> Policy:
    """Check a policy and signature for one request; return the policy or raise PolicyError.

    The checks, in order: signature, encoding, expiry, call, handle, url, size.
    A policy without ``call`` allows every call except ``exif``, as Filestack documents.
    """
    if not policy_b64 or not signature:
        raise PolicyError("policy and signature are required")
    expected = sign(policy_b64, secret)
    if not hmac.compare_digest(expected, signature.lower()):
        raise PolicyError("invalid signature")
    policy = decode_policy(policy_b64)
    current = time.time() if now is None else now
    if policy.expiry < current:
        raise PolicyError("policy expired")
    allowed = policy.call
    if allowed is None:
        if call == "exif":
            raise PolicyError("policy does not allow call 'exif'")
    else:
        granted = {"remove" if c == "revoke" else c for c in allowed}
        if call not in granted:
            raise PolicyError(f"policy does not allow call '{call}'")
    if policy.handle is not None and handle is not None and policy.handle != handle:
        raise PolicyError(f"policy does not allow handle '{handle}'")
    if policy.url is not None and url is not None and not re.fullmatch(policy.url, url):
        raise PolicyError("policy does not allow this url")
    if size is not None:
        if policy.max_size is not None and size > policy.max_size:
            raise PolicyError(f"file size {size} is over the policy's maxSize {policy.max_size}")
        if policy.min_size is not None and size < policy.min_size:
            raise PolicyError(f"file size {size} is under the policy's minSize {policy.min_size}")
    return policy


def sign_webhook(secret: str, timestamp: int | str, raw_body: bytes) -> str:
    """``FS-Signature`` for a webhook: hex HMAC-SHA256 of ``"{timestamp}.{body}"``."""
    message = f"{timestamp}.".encode() + raw_body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify_webhook(secret: str, timestamp: int | str, raw_body: bytes, signature: str) -> bool:
    """True when ``signature`` is the webhook signature of this body and timestamp."""
    return hmac.compare_digest(sign_webhook(secret, timestamp, raw_body), signature)
