"""Helpers for testing the embedded Filestack service in-process."""

from __future__ import annotations

import asyncio
import contextlib
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, Self

import httpx
from PIL import Image

from dashboard.filestack_protocol.security import Security, make_security
from dashboard.local_filestack.app import Service, create_app
from dashboard.local_filestack.config.settings import ServiceSettings

BASE_URL = "http://testserver"
API_KEY = "TESTAPIKEYabcdefghij0"
SECRET = "test-app-secret"


def make_config(data_dir: Path, **overrides: Any) -> ServiceSettings:
    """Service settings on ``data_dir`` with a fixed key and secret."""
    values: dict[str, Any] = {"data_dir": data_dir, "api_key": API_KEY, "app_secret": SECRET}
    values.update(overrides)
    return ServiceSettings(**values)


@contextlib.asynccontextmanager
async def running_service(
    config: ServiceSettings, *, allow_private_fetch: bool = False
) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """The service started, and an httpx client talking to it in-process."""
    app = create_app(config, allow_private_fetch=allow_private_fetch)
    service: Service = app.state.service
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with service.running(), httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
        yield service, client


def image_bytes(
    width: int, height: int, fmt: str = "JPEG", color: tuple[int, int, int] = (200, 40, 40)
) -> bytes:
    """An encoded image with a gradient, so it is not trivially compressible."""
    image = Image.new("RGB", (width, height), color)
    for x in range(0, width, max(1, width // 40)):
        for y in range(0, height, max(1, height // 40)):
            image.putpixel((x, y), ((x * 7) % 256, (y * 5) % 256, 90))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def decoded_size(data: bytes) -> tuple[int, int]:
    """Width and height of an encoded image."""
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def policy(secret: str = SECRET, *, ttl: int = 300, **fields: Any) -> Security:
    """A signed policy expiring in ``ttl`` seconds (negative: already expired)."""
    return make_security({"expiry": int(time.time()) + ttl, **fields}, secret)


async def upload(
    client: httpx.AsyncClient,
    data: bytes,
    *,
    filename: str = "photo.jpg",
    content_type: str = "image/jpeg",
    **params: str,
) -> httpx.Response:
    """Simple store with a raw body."""
    query = {"key": API_KEY, "filename": filename, **params}
    return await client.post(
        "/www/api/store/S3", params=query, content=data, headers={"Content-Type": content_type}
    )


async def uploaded_handle(client: httpx.AsyncClient, data: bytes, **kwargs: Any) -> str:
    """Upload and return the new handle."""
    response = await upload(client, data, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()["handle"]


def count_calls(target: Callable[..., Awaitable[Any]]) -> tuple[Callable[..., Awaitable[Any]], list[int]]:
    """Wrap an async callable, counting calls (and yielding once so concurrent callers overlap)."""
    calls: list[int] = []

    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        await asyncio.sleep(0.05)
        return await target(*args, **kwargs)

    return wrapper, calls


class CannedResponse:
    """What the loopback server answers for one path."""

    def __init__(
        self,
        body: bytes = b"",
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        chunked: bool = False,
    ) -> None:
        self.body = body
        self.status = status
        self.headers = headers or {}
        self.chunked = chunked


class LoopbackServer:
    """A tiny HTTP/1.1 server on 127.0.0.1 answering canned responses, recording requests."""

    def __init__(self, responses: dict[str, CannedResponse]) -> None:
        self.responses = responses
        self.requests: list[str] = []
        self.port = 0
        self._server: asyncio.AbstractServer | None = None

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            self.requests.append(path)
            canned = self.responses.get(path, CannedResponse(b"missing", status=404))
            lines = [f"HTTP/1.1 {canned.status} X", "Connection: close"]
            lines += [f"{k}: {v}" for k, v in canned.headers.items()]
            if canned.chunked:
                lines.append("Transfer-Encoding: chunked")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
                for start in range(0, len(canned.body), 1024):
                    piece = canned.body[start : start + 1024]
                    writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                writer.write(b"0\r\n\r\n")
            else:
                lines.append(f"Content-Length: {len(canned.body)}")
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + canned.body)
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()
        await self._server.wait_closed()
