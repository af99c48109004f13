"""Who may do what: the one decision about each request's security policy."""

from __future__ import annotations

import base64
import binascii
import hmac
import re

from pydantic import BaseModel
from starlette.requests import Request

from dashboard.filestack_protocol.grammar import ParsedPath
from dashboard.filestack_protocol.security import Policy, PolicyError, verify
from dashboard.local_filestack.http.errors import ServiceError

#: Calls that modify files: Filestack always authenticates them, security on or off.
MODIFYING_CALLS: frozenset[str] = frozenset({"remove", "write"})
BASIC_AUTH_USER = "app"


class Credentials(BaseModel):
    """What a request brought to prove itself: a policy and signature, or the app secret."""

    policy: str | None = None
    signature: str | None = None
    #: HTTP basic auth (File API only): None when absent, else whether it carried the app secret.
    basic_auth_ok: bool | None = None

    @property
    def has_policy(self) -> bool:
        return bool(self.policy or self.signature)


def authorize(
    creds: Credentials,
    *,
    call: str,
    secret: str,
    require_security: bool,
    handle: str | None = None,
    url: str | None = None,
    size: int | None = None,
) -> Policy | None:
    """Allow the request or raise PolicyError; return the verified policy, if one was given.

    * A policy that is present is always verified, even with security off.
    * Basic auth must carry the app secret when present.
    * Without either, ``remove`` and ``write`` are refused always, other calls only
      when ``require_security`` is on.
    """
    if creds.has_policy:
        return verify(
            creds.policy or "", creds.signature or "", secret,
            call=call, handle=handle, url=url, size=size,
        )
    if creds.basic_auth_ok is False:
        raise PolicyError("invalid basic auth credentials")
    if creds.basic_auth_ok:
        return None
    if require_security or call in MODIFYING_CALLS:
        raise PolicyError("security policy required")
    return None


def check_api_key(key: str | None, expected: str, *, required: bool) -> None:
    """Refuse a missing (when required) or unknown API key with Filestack's 400."""
    if not key:
        if required:
            raise ServiceError(400, "Parameters are invalid: key is required")
        return
    if key != expected:
        raise ServiceError(400, "invalid api key")


def check_store_target(policy: Policy | None, *, path: str | None, container: str | None) -> None:
    """Apply a policy's ``path`` and ``container`` regular expressions to a store."""
    if policy is None:
        return
    if policy.path is not None and not re.fullmatch(policy.path, path or ""):
        raise PolicyError("invalid security policy path")
    if policy.container is not None and not re.fullmatch(policy.container, container or ""):
        raise PolicyError("invalid security policy container")


def from_query(request: Request) -> Credentials:
    """``?policy=&signature=`` from the query string."""
    return Credentials(
        policy=request.query_params.get("policy") or None,
        signature=request.query_params.get("signature") or None,
    )


def from_file_api(request: Request, secret: str) -> Credentials:
    """Query policy plus HTTP basic auth (user ``app``, password = app secret)."""
    creds = from_query(request)
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return creds
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return creds.model_copy(update={"basic_auth_ok": False})
    ok = user == BASIC_AUTH_USER and hmac.compare_digest(password.encode(), secret.encode())
    return creds.model_copy(update={"basic_auth_ok": ok})


def from_tasks(parsed: ParsedPath) -> Credentials:
    """The ``security=`` task of a processing path, wherever it is in the chain."""
    task = parsed.task("security")
    if task is None:
        return Credentials()
    policy = task.params.get("policy")
    signature = task.params.get("signature")
    return Credentials(
        policy=str(policy) if policy not in (None, True) else None,
        signature=str(signature) if signature not in (None, True) else None,
    )


def from_body(payload: dict[str, object]) -> Credentials:
    """``policy``/``signature`` fields of an Upload API body."""
    policy = payload.get("policy")
    signature = payload.get("signature")
    return Credentials(
        policy=str(policy) if policy else None,
        signature=str(signature) if signature else None,
    )
