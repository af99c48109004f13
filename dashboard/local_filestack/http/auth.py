"""Who may do what: the one decision about each request's API key, policy and basic auth."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.requests import Request

from dashboard.filestack_protocol.grammar import ParsedPath
from dashboard.filestack_protocol.security import Policy, PolicyError, verify
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.http.rate_limits import Action, KeyRateLimiter

#: Calls that modify files: Filestack always authenticates them, security on or off.
MODIFYING_CALLS: frozenset[str] = frozenset({"remove", "write"})
#: The basic-auth user of the File API (the password is the app secret).
FILE_API_USER = "app"


class Credentials(BaseModel):
    """What a request brought to prove itself: a policy and signature, or the app secret."""

    policy: str | None = None
    signature: str | None = None
    #: HTTP basic auth (File API only): None when absent, else whether it carried the app secret.
    basic_auth_ok: bool | None = None

    @property
    def has_policy(self) -> bool:
        return bool(self.policy or self.signature)


def basic_auth(request: Request) -> tuple[str, str] | None:
    """The user and password of an ``Authorization: Basic`` header; ``None`` without one.

    A header that does not decode gives ``("", "")``, which matches no account.
    """
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    return user, password


def same(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(given.encode(), expected.encode())


def from_query(request: Request) -> Credentials:
    """``?policy=&signature=`` from the query string."""
    return Credentials(
        policy=request.query_params.get("policy") or None,
        signature=request.query_params.get("signature") or None,
    )


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


def check_store_target(policy: Policy | None, *, path: str | None, container: str | None) -> None:
    """Apply a policy's ``path`` and ``container`` regular expressions to a store."""
    if policy is None:
        return
    if policy.path is not None and not re.fullmatch(policy.path, path or ""):
        raise PolicyError("invalid security policy path")
    if policy.container is not None and not re.fullmatch(policy.container, container or ""):
        raise PolicyError("invalid security policy container")


@dataclass(frozen=True)
class Gate:
    """The service's key, secret and security mode, and every check made with them."""

    api_key: str
    app_secret: str
    require_security: bool
    #: How often the key may upload, store and start workflows; ``None``: no limit.
    rates: KeyRateLimiter | None = field(default=None, compare=False)

    def spend(self, action: Action) -> None:
        """Count one call of ``action`` by the key; ``RateLimited`` (429) past its limit."""
        if self.rates is not None:
            self.rates.spend(action, self.api_key)

    def authorize(
        self,
        creds: Credentials,
        *,
        call: str,
        handle: str | None = None,
        url: str | None = None,
        size: int | None = None,
        require_security: bool | None = None,
    ) -> Policy | None:
        """Allow the request or raise PolicyError; return the verified policy, if one was given.

        * A policy that is present is always verified, even with security off.
        * Basic auth must carry the app secret when present.
        * Without either, ``remove`` and ``write`` are refused always, other calls only
          when security is required (``require_security`` overrides the service's mode).
        """
        if creds.has_policy:
            return verify(
                creds.policy or "",
                creds.signature or "",
                self.app_secret,
                call=call,
                handle=handle,
                url=url,
                size=size,
            )
        if creds.basic_auth_ok is False:
            raise PolicyError("invalid basic auth credentials")
        if creds.basic_auth_ok:
            return None
        required = self.require_security if require_security is None else require_security
        if required or call in MODIFYING_CALLS:
            raise PolicyError("security policy required")
        return None

    def check_api_key(self, key: str | None, *, required: bool) -> None:
        """Refuse a missing (when required) or unknown API key with Filestack's 400."""
        if not key:
            if required:
                raise ServiceError(400, "Parameters are invalid: key is required")
            return
        if key != self.api_key:
            raise ServiceError(400, "invalid api key")

    def file_api_credentials(self, request: Request) -> Credentials:
        """Query policy plus HTTP basic auth (user ``app``, password = app secret)."""
        creds = from_query(request)
        given = basic_auth(request)
        if given is None:
            return creds
        user, password = given
        ok = user == FILE_API_USER and same(password, self.app_secret)
        return creds.model_copy(update={"basic_auth_ok": ok})

    def is_account(self, request: Request) -> bool:
        """True when basic auth carries the API key and the app secret (the Workflows REST API)."""
        given = basic_auth(request)
        return given is not None and same(given[0], self.api_key) and same(given[1], self.app_secret)
