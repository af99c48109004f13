"""A small HTTP/1.1 keep-alive load generator on raw asyncio sockets, for GET requests on loopback.

httpx spends more CPU per request than a fast endpoint does, so measuring an endpoint's
rate with it measures the client. This sends ``GET path`` on ``connections`` keep-alive
connections, one request in flight per connection, reads each answer by its
``Content-Length`` and keeps every latency. Run it pinned to another core than the server
(:func:`pin`) and the server's rate is what is measured.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What a run of :func:`hammer` saw."""

    requests: int
    seconds: float
    latencies_s: list[float] = field(repr=False)
    wrong: int
    sample: bytes = field(repr=False, default=b"")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile_ms(self, fraction: float) -> float | None:
        if not self.latencies_s:
            return None
        ordered = sorted(self.latencies_s)
        return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))] * 1000

    def summary(self) -> dict[str, float | int | None]:
        return {
            "requests": self.requests,
            "rps": self.rps,
            "p50_ms": statistics.median(self.latencies_s) * 1000 if self.latencies_s else None,
            "p99_ms": self.percentile_ms(0.99),
            "wrong": self.wrong,
        }


def pin(pid: int, cores: set[int]) -> bool:
    """Pin a process to ``cores`` (only those this machine has); whether it was done."""
    usable = cores & os.sched_getaffinity(0)
    if not usable:
        return False
    os.sched_setaffinity(pid, usable)
    return True


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return status, body


async def hammer(
    host: str,
    port: int,
    path: str,
    *,
    connections: int,
    window_s: float,
    check: Callable[[int, bytes], bool],
    check_every: int = 50,
) -> LoadResult:
    """Send ``GET path`` for ``window_s`` seconds on ``connections`` connections; every
    ``check_every``-th answer (and the first) is checked with ``check(status, body)``."""
    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: keep-alive\r\n\r\n".encode()
    latencies: list[float] = []
    wrong = 0
    sample = b""
    started = time.perf_counter()
    deadline = started + window_s

    async def one() -> None:
        nonlocal wrong, sample
        reader, writer = await asyncio.open_connection(host, port)
        count = 0
        try:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                writer.write(request)
                status, body = await _read_response(reader)
                latencies.append(time.perf_counter() - sent)
                if count % check_every == 0:
                    sample = body
                    if not check(status, body):
                        wrong += 1
                count += 1
        finally:
            writer.close()

    await asyncio.gather(*(one() for _ in range(connections)))
    return LoadResult(len(latencies), time.perf_counter() - started, latencies, wrong, sample)
