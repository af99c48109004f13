"""Policies signed by the client match Filestack's published vectors."""

from __future__ import annotations

import pytest
from filestack_fakes import decode_policy

from dashboard.filestack import ClientConfig, FilestackClient, FilestackError


def client_with(secret: str | None, now: float = 1_700_000_000.0) -> FilestackClient:
    return FilestackClient(ClientConfig(api_key="KEY", app_secret=secret), clock=lambda: now)


def test_sign_policy_matches_python_sdk_vector() -> None:
    security = client_with("secret").sign_policy({"expires": 123})
    assert security.policy == "eyJleHBpcmVzIjogMTIzfQ=="
    assert security.signature == "379d2ba0d5be34eddf09f873b7f38643dc51599b0afcd564f52733b52d698748"


def test_sign_policy_matches_readme_vector() -> None:
    security = client_with("SECURITY-SECRET").sign_policy({"expiry": 253381964415, "call": ["read"]})
    assert security.policy == "eyJjYWxsIjogWyJyZWFkIl0sICJleHBpcnkiOiAyNTMzODE5NjQ0MTV9"
    assert security.signature == "f61fa1effb0638ab5b6e208d5d2fd9343f8557d8a0bf529c6d8542935f77bb3c"


def test_scoped_security_reproduces_readme_vector() -> None:
    client = client_with("SECURITY-SECRET", now=253381964415 - 300)
    security = client.security(["read"])
    assert security is not None
    assert security.policy == "eyJjYWxsIjogWyJyZWFkIl0sICJleHBpcnkiOiAyNTMzODE5NjQ0MTV9"
    assert security.signature == "f61fa1effb0638ab5b6e208d5d2fd9343f8557d8a0bf529c6d8542935f77bb3c"


def test_scoped_security_has_calls_handle_and_ttl() -> None:
    client = client_with("s3cr3t", now=1000)
    security = client.security(["stat", "read"], handle="pR4oeS63QLmYIFNs2ZvZ", ttl_s=60)
    assert security is not None
    assert decode_policy(security.policy) == {
        "call": ["read", "stat"],
        "expiry": 1060,
        "handle": "pR4oeS63QLmYIFNs2ZvZ",
    }
    default_ttl = client.security(["read"])
    assert default_ttl is not None and decode_policy(default_ttl.policy)["expiry"] == 1300


def test_no_secret_means_no_security() -> None:
    client = client_with(None)
    assert client.security(["read"]) is None
    with pytest.raises(FilestackError, match="app secret"):
        client.sign_policy({"expiry": 1})


def test_empty_secret_counts_as_none() -> None:
    assert ClientConfig(api_key="KEY", app_secret="").app_secret is None


def test_unknown_call_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown policy call"):
        client_with("s").security(["teleport"])
