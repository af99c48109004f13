"""The upload guard refuses oversized photo uploads before the app reads them."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from dashboard.upload_limit import FORM_OVERHEAD, upload_limit


def _app() -> tuple[Starlette, list[int]]:
    received: list[int] = []

    async def upload(request: Request) -> JSONResponse:
        body = await request.body()
        received.append(len(body))
        return JSONResponse({"bytes": len(body)})

    return Starlette(
        routes=[Route("/_upload", upload, methods=["POST"]), Route("/other", upload, methods=["POST"])]
    ), received


async def test_declared_and_streamed_sizes_over_the_limit_are_refused() -> None:
    app, received = _app()
    guarded = upload_limit(1000)(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=guarded), base_url="http://t") as client:
        small = await client.post("/_upload", content=b"x" * 500)
        assert small.status_code == 200 and small.json() == {"bytes": 500}
        big = await client.post("/_upload", content=b"x" * (1000 + FORM_OVERHEAD + 1))
        assert big.status_code == 413 and "limit of 1000 bytes" in big.json()["detail"]

        async def chunks():
            for _ in range(100):
                yield b"y" * 1024  # no Content-Length: counted while it streams

        streamed = await client.post("/_upload", content=chunks())
        assert streamed.status_code == 413
        other = await client.post("/other", content=b"z" * (1000 + FORM_OVERHEAD + 10))
        assert other.status_code == 200  # only the upload endpoint is capped
    assert received == [500, 1000 + FORM_OVERHEAD + 10]
