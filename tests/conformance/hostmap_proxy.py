"""A TLS-terminating proxy that maps Filestack's host names onto the embedded service's prefixes.

    python tests/conformance/hostmap_proxy.py --port P --cert server.pem --key server-key.pem \
        --upstream http://127.0.0.1:N

The SDKs talk to fixed ``https://`` hosts. Their process maps those names to this proxy's
loopback port (``hostmap.py`` for Python, ``js/hostmap.cjs`` for Node) and trusts the
throwaway CA that signed ``--cert``. The proxy picks the prefix from the ``Host`` header,
and forwards the request unchanged otherwise: the raw path and query (quotes and
percent-escapes as the SDK sent them), the method, the body and every end-to-end header,
``Host`` included. It adds the usual reverse-proxy headers so the service can tell how it
was reached::

    X-Forwarded-Proto:  https
    X-Forwarded-Host:   upload.filestackapi.com
    X-Forwarded-Prefix: /upload

``GET /__hostmap/health`` (any host) answers 200 from the proxy itself. Every forwarded
request is logged as one line on stderr: ``METHOD host raw-target -> status``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import uvicorn

HOST_PREFIXES: dict[str, str] = {
    "cdn.filestackcontent.com": "/cdn",
    "www.filestackapi.com": "/www",
    "upload.filestackapi.com": "/upload",
    "process.filestackapi.com": "/process",
    "workflows-beta.filestackapi.com": "/workflows-beta",
}
"""Each Filestack host and the service prefix it answers under."""

HEALTH_PATH = b"/__hostmap/health"
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-connection",
    }
)


def _plain(status: int, text: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    body = text.encode()
    return status, [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())], body


class HostMapProxy:
    """The ASGI app: one upstream, one prefix per Filestack host."""

    def __init__(self, upstream: str) -> None:
        self.upstream = httpx.URL(upstream)
        self.client: httpx.AsyncClient | None = None

    @contextlib.asynccontextmanager
    async def _lifespan(self) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=httpx.Timeout(300.0), follow_redirects=False) as client:
            self.client = client
            yield
        self.client = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await self._forward(scope, receive, send)

    async def _serve_lifespan(self, receive: Any, send: Any) -> None:
        lifespan = self._lifespan()
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await lifespan.__aenter__()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await lifespan.__aexit__(None, None, None)
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _reply(self, send: Any, answer: tuple[int, list[tuple[bytes, bytes]], bytes]) -> None:
        status, headers, body = answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _forward(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        if raw_path == HEALTH_PATH:
            await self._reply(send, _plain(200, "ok"))
            return
        headers = [(k.lower(), v) for k, v in scope["headers"]]
        host = next((v.decode("latin-1") for k, v in headers if k == b"host"), "")
        host_name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
        prefix = HOST_PREFIXES.get(host_name.lower())
        if prefix is None:
            await self._reply(send, _plain(421, f"host {host!r} is not mapped by the test proxy"))
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        target = prefix.encode() + raw_path
        query: bytes = scope.get("query_string", b"")
        upstream_url = self.upstream.copy_with(raw_path=target + (b"?" + query if query else b""))
        forwarded = [(k, v) for k, v in headers if k not in _HOP_BY_HOP]
        client_host = (scope.get("client") or ("127.0.0.1", 0))[0]
        forwarded += [
            (b"x-forwarded-proto", b"https"),
            (b"x-forwarded-host", host.encode("latin-1")),
            (b"x-forwarded-prefix", prefix.encode()),
            (b"x-forwarded-for", client_host.encode()),
        ]
        assert self.client is not None
        request = self.client.build_request(scope["method"], upstream_url, headers=forwarded, content=body)
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as err:
            await self._reply(send, _plain(502, f"upstream error: {err!r}"))
            self._log(scope["method"], host, target, query, 502)
            return
        try:
            out_headers = [(k.lower(), v) for k, v in response.headers.raw if k.lower() not in _HOP_BY_HOP]
            await send(
                {"type": "http.response.start", "status": response.status_code, "headers": out_headers}
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b""})
        finally:
            await response.aclose()
        self._log(scope["method"], host, target, query, response.status_code)

    @staticmethod
    def _log(method: str, host: str, target: bytes, query: bytes, status: int) -> None:
        shown = target.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")
        print(f"{method} {host} {shown} -> {status}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> None:
    """Serve the proxy on 127.0.0.1 with the given certificate (HTTP/1.1, h11)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument(
        "--upstream", required=True, help="the service's base URL, e.g. http://127.0.0.1:8100"
    )
    args = parser.parse_args(argv)
    uvicorn.run(
        HostMapProxy(args.upstream),
        host="127.0.0.1",
        port=args.port,
        ssl_certfile=args.cert,
        ssl_keyfile=args.key,
        http="h11",
        lifespan="on",
        proxy_headers=False,
        server_header=False,
        date_header=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
