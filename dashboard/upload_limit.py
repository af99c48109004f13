"""An ASGI guard that refuses photo uploads over the size limit before reading them.

Reflex's upload endpoint (``/_upload``) reads the whole request before the handler
sees it and has no size limit of its own. This guard answers 413 at once when the
declared length is too large, and stops a request whose body grows past the limit.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Room for the multipart envelope around the file itself.
FORM_OVERHEAD = 64 * 1024


class UploadTooLarge(Exception):
    """The request body went past the limit."""


def _too_large(limit: int) -> bytes:
    return json.dumps({"detail": f"upload is larger than the limit of {limit} bytes"}).encode()


def upload_limit(max_bytes: int, path_prefix: str = "/_upload") -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` that caps request bodies under ``path_prefix`` at ``max_bytes``."""
    cap = max_bytes + FORM_OVERHEAD

    def wrap(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or not scope.get("path", "").startswith(path_prefix):
                await app(scope, receive, send)
                return
            if scope.get("method") == "POST":
                declared = dict(scope.get("headers") or []).get(b"content-length")
                if declared is not None and declared.isdigit() and int(declared) > cap:
                    await _reject(send, max_bytes)
                    return
            seen = 0
            exceeded = False

            async def counting_receive() -> Message:
                nonlocal seen, exceeded
                message = await receive()
                if message["type"] == "http.request":
                    seen += len(message.get("body", b""))
                    if seen > cap:
                        exceeded = True
                        raise UploadTooLarge(f"upload is larger than the limit of {max_bytes} bytes")
                return message

            async def guarded_send(message: Message) -> None:
                if not exceeded:  # once over the limit, only the 413 below is sent
                    await send(message)

            try:
                await app(scope, counting_receive, guarded_send)
            except UploadTooLarge:
                await _reject(send, max_bytes)

        return guarded

    return wrap


async def _reject(send: Send, max_bytes: int) -> None:
    body = _too_large(max_bytes)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
