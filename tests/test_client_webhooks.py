"""Webhook verification with FS-Signature / FS-Timestamp."""

from __future__ import annotations

import json

import pytest

from dashboard.filestack import FilestackError, verify_request
from dashboard.filestack_protocol.security import sign_webhook

SECRET = "webhook-secret"
BODY = json.dumps(
    {
        "id": 61380634,
        "action": "fs.workflow",
        "timestamp": 1548214263,
        "text": {"jobid": "j1", "status": "Finished", "results": {}},
    }
).encode()
NOW = 1_700_000_000


def _headers(body: bytes = BODY, timestamp: int = NOW, secret: str = SECRET) -> dict[str, str]:
    return {"FS-Signature": sign_webhook(secret, timestamp, body), "FS-Timestamp": str(timestamp)}


def test_valid_request_returns_the_payload() -> None:
    payload = verify_request(_headers(), BODY, SECRET, now=NOW + 10)
    assert payload["action"] == "fs.workflow" and payload["text"]["jobid"] == "j1"


def test_headers_are_case_insensitive() -> None:
    headers = {k.lower(): v for k, v in _headers().items()}
    assert verify_request(headers, BODY, SECRET, now=NOW)["id"] == 61380634


@pytest.mark.parametrize(
    ("headers", "body", "match"),
    [
        (_headers(secret="other"), BODY, "does not match"),
        (_headers(), BODY + b" ", "does not match"),
        ({"FS-Timestamp": str(NOW)}, BODY, "FS-Signature"),
        ({"FS-Signature": "ab"}, BODY, "FS-Timestamp"),
        ({"FS-Signature": "ab", "FS-Timestamp": "yesterday"}, BODY, "unix timestamp"),
        (_headers(timestamp=NOW - 301), BODY, "from now"),
        (_headers(b"[1, 2]"), b"[1, 2]", "JSON object"),
        (_headers(b"not json"), b"not json", "not JSON"),
    ],
)
def test_bad_requests_are_refused(headers: dict[str, str], body: bytes, match: str) -> None:
    with pytest.raises(FilestackError, match=match):
        verify_request(headers, body, SECRET, now=NOW)


def test_tolerance_is_configurable() -> None:
    assert verify_request(_headers(timestamp=NOW - 1000), BODY, SECRET, tolerance_s=3600, now=NOW)
    with pytest.raises(FilestackError, match="secret"):
        verify_request(_headers(), BODY, "", now=NOW)
