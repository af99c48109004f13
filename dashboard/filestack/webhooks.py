"""Checking Filestack webhook requests: ``FS-Signature`` over ``"{FS-Timestamp}.{raw body}"``."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from dashboard.filestack_protocol.security import verify_webhook

from .errors import FilestackError

SIGNATURE_HEADER = "FS-Signature"
TIMESTAMP_HEADER = "FS-Timestamp"


class WebhookError(FilestackError):
    """A webhook request that is unsigned, wrongly signed, stale or not a JSON object."""


def _header(headers: Mapping[str, str], name: str) -> str:
    """A header's value, looked up case-insensitively."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    raise WebhookError(f"webhook request has no {name} header")


def verify_request(
    headers: Mapping[str, str],
    raw_body: bytes,
    secret: str,
    tolerance_s: float = 300,
    *,
    now: float | None = None,
) -> dict[str, Any]:
    """Verify a webhook request and return its JSON body.

    ``raw_body`` must be the bytes as received (not re-serialised JSON). The request
    is refused when the signature does not match or ``FS-Timestamp`` is more than
    ``tolerance_s`` seconds away from now.
    """
    if not secret:
        raise WebhookError("verifying webhooks needs the webhook secret")
    signature = _header(headers, SIGNATURE_HEADER).strip()
    timestamp = _header(headers, TIMESTAMP_HEADER).strip()
    if not timestamp.isdigit():
        raise WebhookError(f"{TIMESTAMP_HEADER} is not a unix timestamp")
    if not verify_webhook(secret, timestamp, raw_body, signature.lower()):
        raise WebhookError("webhook signature does not match")
    seconds = int(timestamp)
    if seconds > 10**11:  # milliseconds
        seconds //= 1000
    current = time.time() if now is None else now
    if abs(current - seconds) > tolerance_s:
        raise WebhookError(f"webhook timestamp is more than {tolerance_s:g}s from now")
    try:
        payload = json.loads(raw_body)
    except ValueError as err:
        raise WebhookError("webhook body is not JSON") from err
    if not isinstance(payload, dict):
        raise WebhookError("webhook body is not a JSON object")
    return payload
