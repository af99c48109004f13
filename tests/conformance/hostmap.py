"""Resolve Filestack's host names to the test proxy's loopback port, inside an SDK process.

``install()`` wraps ``socket.getaddrinfo``: a lookup of a mapped host on port 443 answers
``127.0.0.1`` and the proxy's port, so the HTTP library connects there while it still sends
the real name in SNI and ``Host`` and checks the certificate against it. Every other lookup
is untouched. Nothing of the SDK is changed.

Configured by the environment the harness gives the SDK process:
``CONFORMANCE_PROXY_PORT`` and ``CONFORMANCE_MAPPED_HOSTS`` (comma-separated).
"""

from __future__ import annotations

import os
import socket
from typing import Any

_original_getaddrinfo = socket.getaddrinfo


def install() -> None:
    """Map the hosts named in the environment to the proxy (idempotent)."""
    port = int(os.environ["CONFORMANCE_PROXY_PORT"])
    hosts = {h.strip().lower() for h in os.environ["CONFORMANCE_MAPPED_HOSTS"].split(",") if h.strip()}

    def getaddrinfo(host: Any, service: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().rstrip(".") in hosts and str(service) in ("443", "https"):
            return _original_getaddrinfo("127.0.0.1", port, *args, **kwargs)
        return _original_getaddrinfo(host, service, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
