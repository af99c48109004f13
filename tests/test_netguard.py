"""The SSRF guard: which addresses are refused, and fetching through it."""

from __future__ import annotations

import pytest
from local_service import CannedResponse, LoopbackServer

from dashboard.local_filestack.ingest import netguard
from dashboard.local_filestack.ingest.netguard import BlockedAddress, FetchError, check_address, fetch

BLOCKED = [
    "127.0.0.1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",
    "::1",
    "fe80::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
    "100.64.0.1",
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "fc00::1",
    "240.0.0.1",
    "2002:7f00:1::",
    "64:ff9b::a00:1",
]
PUBLIC = ["93.184.216.34", "2606:4700::1", "8.8.8.8"]


@pytest.mark.parametrize("ip", BLOCKED)
def test_internal_addresses_are_refused(ip: str) -> None:
    with pytest.raises(BlockedAddress) as caught:
        check_address(ip, allow_private=False)
    assert caught.value.status == 403
    assert "refusing" in str(caught.value)


@pytest.mark.parametrize("ip", PUBLIC)
def test_public_addresses_are_allowed(ip: str) -> None:
    check_address(ip, allow_private=False)


def test_private_addresses_allowed_when_asked() -> None:
    check_address("127.0.0.1", allow_private=True)
    check_address("10.0.0.1", allow_private=True)


def test_garbage_is_not_an_address() -> None:
    with pytest.raises(BlockedAddress):
        check_address("not-an-ip", allow_private=True)


@pytest.mark.asyncio
async def test_loopback_refused_before_connecting_and_allowed_when_private_ok() -> None:
    async with LoopbackServer(
        {"/x": CannedResponse(b"hello", headers={"Content-Type": "text/plain"})}
    ) as server:
        with pytest.raises(BlockedAddress):
            await fetch(server.url("/x"), allow_private=False, timeout=5, max_bytes=1000)
        assert server.requests == []
        body, content_type = await fetch(server.url("/x"), allow_private=True, timeout=5, max_bytes=1000)
    assert (body, content_type) == (b"hello", "text/plain")
    assert server.requests == ["/x"]


@pytest.mark.asyncio
async def test_localhost_name_is_resolved_and_refused() -> None:
    async with LoopbackServer({"/x": CannedResponse(b"hello")}) as server:
        with pytest.raises(BlockedAddress):
            await fetch(f"http://localhost:{server.port}/x", allow_private=False, timeout=5, max_bytes=1000)
        assert server.requests == []


@pytest.mark.asyncio
async def test_redirect_to_private_address_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    real_check = netguard.check_address

    def allow_only_first_server(ip: str, allow_private: bool) -> None:
        if ip == "127.0.0.1":  # stands in for a public server
            return
        real_check(ip, allow_private)

    monkeypatch.setattr(netguard, "check_address", allow_only_first_server)
    async with LoopbackServer({}) as server:
        server.responses["/go"] = CannedResponse(
            status=302, headers={"Location": f"http://127.0.0.2:{server.port}/in"}
        )
        server.responses["/ok"] = CannedResponse(status=301, headers={"Location": "/final"})
        server.responses["/final"] = CannedResponse(b"done")
        with pytest.raises(BlockedAddress) as caught:
            await fetch(server.url("/go"), allow_private=False, timeout=5, max_bytes=1000)
        assert "127.0.0.2" in str(caught.value)
        body, _ = await fetch(server.url("/ok"), allow_private=False, timeout=5, max_bytes=1000)
    assert body == b"done"
    assert server.requests == ["/go", "/ok", "/final"]


@pytest.mark.asyncio
async def test_too_many_redirects() -> None:
    async with LoopbackServer({}) as server:
        server.responses["/loop"] = CannedResponse(status=302, headers={"Location": "/loop"})
        with pytest.raises(FetchError) as caught:
            await fetch(server.url("/loop"), allow_private=True, timeout=5, max_bytes=1000)
    assert caught.value.status == 502
    assert "redirects" in str(caught.value)
    assert len(server.requests) == netguard.MAX_REDIRECTS + 1


@pytest.mark.asyncio
@pytest.mark.parametrize("chunked", [False, True])
async def test_body_over_max_bytes_is_refused(chunked: bool) -> None:
    async with LoopbackServer({"/big": CannedResponse(b"x" * 10_000, chunked=chunked)}) as server:
        with pytest.raises(FetchError) as caught:
            await fetch(server.url("/big"), allow_private=True, timeout=5, max_bytes=4096)
    assert caught.value.status == 413


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "url, status",
    [("ftp://example.com/x", 400), ("file:///etc/passwd", 400), ("not a url", 400)],
)
async def test_bad_urls(url: str, status: int) -> None:
    with pytest.raises(FetchError) as caught:
        await fetch(url, allow_private=False, timeout=5, max_bytes=10)
    assert caught.value.status == status


@pytest.mark.asyncio
async def test_upstream_error_is_502() -> None:
    async with LoopbackServer({}) as server:
        with pytest.raises(FetchError) as caught:
            await fetch(server.url("/missing"), allow_private=True, timeout=5, max_bytes=1000)
    assert caught.value.status == 502


# FETCH_ALLOWED_HOSTS: named private hosts let through, everything else still refused


ALLOWED = netguard.parse_allowed_hosts(" LocalHost , 127.0.0.1:8080,[::1]:9000,, ")


def test_allowed_hosts_are_parsed_lower_cased_without_blanks() -> None:
    assert ALLOWED == frozenset({"localhost", "127.0.0.1:8080", "[::1]:9000"})
    assert netguard.parse_allowed_hosts("") == frozenset()


@pytest.mark.parametrize(
    ("host", "port", "addresses"),
    [
        ("localhost", 80, ["127.0.0.1"]),
        ("LOCALHOST", 3000, ["127.0.0.1", "::1"]),
        ("127.0.0.1", 8080, ["127.0.0.1"]),
        ("::1", 9000, ["::1"]),
    ],
)
def test_named_hosts_are_let_through_without_connecting(host: str, port: int, addresses: list[str]) -> None:
    netguard.check_target(host, port, addresses, allow_private=False, allowed_hosts=ALLOWED)


@pytest.mark.parametrize(
    ("host", "port", "address"),
    [
        ("localhost.", 80, "127.0.0.1"),  # another spelling of the name is not the name
        ("127.0.0.1", 80, "127.0.0.1"),  # allowed on port 8080 only
        ("127.1", 8080, "127.0.0.1"),
        ("metadata.internal", 80, "169.254.169.254"),
        ("evil.example", 80, "10.0.0.1"),  # resolves privately but is not named
        ("::1", 9001, "::1"),
    ],
)
def test_everything_else_is_still_refused(host: str, port: int, address: str) -> None:
    with pytest.raises(BlockedAddress):
        netguard.check_target(host, port, [address], allow_private=False, allowed_hosts=ALLOWED)


@pytest.mark.asyncio
async def test_a_named_host_is_fetched_and_others_are_not() -> None:
    async with LoopbackServer(
        {"/x": CannedResponse(b"hello", headers={"Content-Type": "text/plain"})}
    ) as server:
        allowed = netguard.parse_allowed_hosts(f"localhost:{server.port}")
        body, _ = await fetch(
            f"http://localhost:{server.port}/x",
            allow_private=False,
            timeout=5,
            max_bytes=1000,
            allowed_hosts=allowed,
        )
        with pytest.raises(BlockedAddress):
            await fetch(
                server.url("/x"), allow_private=False, timeout=5, max_bytes=1000, allowed_hosts=allowed
            )
    assert body == b"hello"
    assert server.requests == ["/x"]
