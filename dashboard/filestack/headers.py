"""Request headers the client sends, shaped like Filestack's own SDKs send them."""

from __future__ import annotations

import secrets
import string
import time

#: Version of this client, reported in ``User-Agent`` and ``Filestack-Source``.
VERSION = "1.0.0"
USER_AGENT = f"profile-dashboard-filestack/{VERSION}"
SOURCE = f"Python-{VERSION}"

_ALPHABET = string.ascii_uppercase + string.digits


def random_id(length: int = 10) -> str:
    """A random id of upper-case letters and digits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def sdk_headers(now: float | None = None) -> dict[str, str]:
    """Fresh identification and trace headers for one request."""
    stamp = int(time.time() if now is None else now)
    return {
        "User-Agent": USER_AGENT,
        "Filestack-Source": SOURCE,
        "Filestack-Trace-Id": f"{stamp}-{random_id()}",
        "Filestack-Trace-Span": f"pythonsdk-{random_id()}",
    }
