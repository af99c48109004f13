"""Fetching user-supplied URLs without reaching the service's own network (SSRF guard).

:func:`check_address` is the pure decision. :func:`fetch` resolves the host itself,
checks every resolved address, then connects to the checked address (the request
keeps the real ``Host`` header and TLS server name), and repeats all of that for
each redirect hop.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5
#: Seconds one fetch may take, redirects included.
FETCH_TIMEOUT_S = 10.0
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchError(Exception):
    """A URL that could not be fetched; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 502) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


class BlockedAddress(FetchError):
    """The URL resolves to an address the service must not reach."""

    def __init__(self, message: str) -> None:
        super().__init__(message, status=403)


def _blocked_reason(ip: IPAddress) -> str | None:
    """Why ``ip`` may not be reached, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            inner = _blocked_reason(embedded)
            if inner is not None:
                return f"{inner} (embedded in an IPv6 address)"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "carrier-grade NAT"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
        (not ip.is_global, "non-public"),
    )
    for hit, reason in checks:
        if hit:
            return reason
    return None


def url_filename(url: str) -> str | None:
    """The last segment of a URL's path, percent-decoded (``None`` when it has none): a fetched file's name."""
    return PurePosixPath(unquote(urlsplit(url).path)).name or None


def parse_allowed_hosts(text: str) -> frozenset[str]:
    """``FETCH_ALLOWED_HOSTS``: comma-separated ``host`` or ``host:port`` entries, lower-cased.

    ``[::1]:8080`` keeps its brackets; blank entries are dropped.
    """
    return frozenset(entry.strip().lower() for entry in text.split(",") if entry.strip())


def host_is_allowed(host: str, port: int, allowed_hosts: frozenset[str]) -> bool:
    """True when ``host`` (as written in the URL) or ``host:port`` is named in ``allowed_hosts``.

    The name is compared as written, not resolved: ``localhost`` lets ``localhost`` through,
    not ``localhost.``, ``127.0.0.1`` or anything else that happens to resolve to the same address.
    """
    if not allowed_hosts:
        return False
    name = host.lower()
    shown = f"[{name}]" if ":" in name else name
    return name in allowed_hosts or shown in allowed_hosts or f"{shown}:{port}" in allowed_hosts


def check_target(
    host: str,
    port: int,
    addresses: list[str],
    *,
    allow_private: bool,
    allowed_hosts: frozenset[str] = frozenset(),
) -> None:
    """The guard's whole decision about one connection, without connecting: ``host`` (as written
    in the URL) on ``port`` resolved to ``addresses``. Raises :class:`BlockedAddress` unless every
    address is public, private ones are allowed, or the host is named in ``allowed_hosts``."""
    if host_is_allowed(host, port, allowed_hosts):
        return
    for address in addresses:
        check_address(address, allow_private)


def check_address(ip: str, allow_private: bool) -> None:
    """Raise BlockedAddress unless ``ip`` is a public address (or private ones are allowed)."""
    try:
        address = ipaddress.ip_address(ip.split("%", 1)[0])
    except ValueError as err:
        raise BlockedAddress(f"'{ip}' is not an IP address") from err
    if allow_private:
        return
    reason = _blocked_reason(address)
    if reason is not None:
        raise BlockedAddress(f"refusing to fetch from {reason} address {address}")


async def _resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in resolver order."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as err:
        raise FetchError(f"cannot resolve host '{host}'", status=502) from err
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise FetchError(f"host '{host}' has no addresses", status=502)
    return addresses


def _parse(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as err:
        raise FetchError(f"invalid url '{url}'", status=400) from err
    if parsed.scheme not in ("http", "https"):
        raise FetchError(f"only http and https urls can be fetched, not '{parsed.scheme}'", status=400)
    if not parsed.host:
        raise FetchError(f"url '{url}' has no host", status=400)
    return parsed


async def _pinned_request(
    url: httpx.URL, allow_private: bool, allowed_hosts: frozenset[str]
) -> httpx.Request:
    """A request for ``url`` aimed at a checked address of its host."""
    port = url.port or (443 if url.scheme == "https" else 80)
    addresses = await _resolve(url.host, port)
    check_target(url.host, port, addresses, allow_private=allow_private, allowed_hosts=allowed_hosts)
    host_header = url.netloc.decode("ascii").rsplit("@", 1)[-1]
    target = url.copy_with(host=addresses[0].split("%", 1)[0])
    return httpx.Request(
        "GET",
        target,
        headers={"Host": host_header, "Accept": "*/*", "User-Agent": "local-filestack-fetch"},
        extensions={"sni_hostname": url.host},
    )


async def _read_limited(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"remote file is larger than the {max_bytes}-byte limit", status=413)
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_raw():
        total += len(chunk)
        if total > max_bytes:
            raise FetchError(f"remote file is larger than the {max_bytes}-byte limit", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


async def _fetch(
    url: str, allow_private: bool, max_bytes: int, timeout: float, allowed_hosts: frozenset[str]
) -> tuple[bytes, str]:
    current = _parse(url)
    async with httpx.AsyncClient(
        follow_redirects=False, trust_env=False, timeout=timeout, headers={"Accept-Encoding": "identity"}
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            request = await _pinned_request(current, allow_private, allowed_hosts)
            try:
                response = await client.send(request, stream=True)
            except httpx.TimeoutException as err:
                raise FetchError(f"timed out fetching {current.host}", status=504) from err
            except httpx.HTTPError as err:
                raise FetchError(f"could not connect to {current.host}: {err}", status=502) from err
            try:
                if response.status_code in _REDIRECT_CODES and "location" in response.headers:
                    current = _parse(urljoin(str(current), response.headers["location"]))
                    continue
                if response.status_code >= 400:
                    raise FetchError(
                        f"remote server answered {response.status_code} for {current}", status=502
                    )
                body = await _read_limited(response, max_bytes)
                content_type = response.headers.get("content-type", "application/octet-stream")
                return body, content_type.split(";", 1)[0].strip().lower()
            except httpx.TimeoutException as err:
                raise FetchError(f"timed out fetching {current.host}", status=504) from err
            except httpx.HTTPError as err:
                raise FetchError(f"error reading from {current.host}: {err}", status=502) from err
            finally:
                await response.aclose()
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", status=502)


async def fetch(
    url: str,
    *,
    allow_private: bool,
    timeout: float,
    max_bytes: int,
    allowed_hosts: frozenset[str] = frozenset(),
) -> tuple[bytes, str]:
    """GET ``url`` safely; return its body and content type (the type as the server declared it).

    Hosts named in ``allowed_hosts`` (``FETCH_ALLOWED_HOSTS``) are reached whatever they resolve to.

    Raises FetchError (400 bad url, 403 blocked address, 413 too large,
    502 upstream failure, 504 timeout).
    """
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(url, allow_private, max_bytes, timeout, allowed_hosts)
    except TimeoutError as err:
        raise FetchError(f"timed out after {timeout:g}s fetching {url}", status=504) from err


@dataclass(frozen=True)
class FetchOptions:
    """How the service fetches user-supplied URLs (``url=`` uploads, ``process``, URL sources,
    workflow sources, webhooks, screenshots): size and time caps, and who may be reached.

    ``allowed_hosts`` (``FETCH_ALLOWED_HOSTS``) names private hosts let through for development
    and tests; ``allow_private`` lets every private, loopback and link-local address through and
    only in-process tests turn it on (there is no setting for it).
    """

    max_bytes: int
    allow_private: bool = False
    timeout_s: float = FETCH_TIMEOUT_S
    allowed_hosts: frozenset[str] = frozenset()

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """:func:`fetch` with these options."""
        return await fetch(
            url,
            allow_private=self.allow_private,
            timeout=self.timeout_s,
            max_bytes=self.max_bytes,
            allowed_hosts=self.allowed_hosts,
        )

    def check(self, host: str, port: int, addresses: list[str]) -> None:
        """:func:`check_target` with these options (for callers that connect themselves)."""
        check_target(
            host, port, addresses, allow_private=self.allow_private, allowed_hosts=self.allowed_hosts
        )
