"""Load test on loopback: concurrent uploads running the profile workflow plus status pollers.

The service runs as its own process (``python -m dashboard.local_filestack``, default
settings) on a fresh data directory. For ``--duration`` seconds:

* each of ``--uploads`` workers does what the page does for one photo, again and again:
  upload the photo, start the profile workflow, poll its status every ``--poll-interval``
  seconds until it ends, download the final avatar (checked: a 400x400 JPEG), then delete
  the original with a ``remove`` policy;
* each of ``--pollers`` workers asks for the status of a random job started so far,
  every ``--poll-interval`` seconds, as an open profile page does.

A photo started before the end is always followed to its final file. Any non-2xx answer,
failed job, wrong avatar or transport error counts as an error. Prints p50/p90/p99/max per
request kind and a Markdown table (``--markdown FILE`` also writes it to a file).

    .venv/bin/python bench/load_test.py                       # 50 uploads + 200 pollers, 60 s
    .venv/bin/python bench/load_test.py --uploads 10 --pollers 40 --duration 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import math
import os
import platform
import random
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from service_process import ServiceProcess

from dashboard.filestack_protocol.security import make_security
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_WORKFLOW_ID

#: The request kinds measured, in the order they are reported.
KINDS = (
    "upload",
    "run_workflow",
    "status (uploader)",
    "status (poller)",
    "final download",
    "delete",
    "photo end to end",
)


@dataclass
class LoadResult:
    """What a run measured."""

    uploads: int
    pollers: int
    duration_s: float
    photo_bytes: int
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    finished_photos: int = 0
    finals_verified: int = 0
    #: Kept-alive connections the server had closed while idle, reopened once (as browsers do).
    reconnects: int = 0
    #: The machine's 1-minute load average when the run started (other work skews the numbers).
    load_before: float = 0.0
    wall_s: float = 0.0

    def percentile(self, kind: str, q: float) -> float:
        """The ``q`` quantile (nearest rank) of one kind's latencies, in seconds."""
        values = sorted(self.latencies.get(kind, []))
        if not values:
            return math.nan
        return values[max(0, math.ceil(q * len(values)) - 1)]

    def table(self) -> str:
        """The latencies as a Markdown table, in milliseconds."""
        lines = [
            "| request | count | p50 ms | p90 ms | p99 ms | max ms |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for kind in KINDS:
            values = self.latencies.get(kind, [])
            if not values:
                continue
            cells = [f"{self.percentile(kind, q) * 1000:.0f}" for q in (0.5, 0.9, 0.99, 1.0)]
            lines.append(f"| {kind} | {len(values)} | " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def summary(self) -> str:
        """One paragraph: what ran, how much got through, how many errors."""
        polls = len(self.latencies.get("status (poller)", []))
        return (
            f"{self.uploads} concurrent uploaders + {self.pollers} status pollers for {self.duration_s:g} s "
            f"({self.wall_s:.1f} s with the last photos followed to the end), "
            f"{self.photo_bytes / 1e6:.1f} MB photo: "
            f"{self.finished_photos} photos finished ({self.finished_photos / self.wall_s:.1f}/s), "
            f"{self.finals_verified} final avatars verified, {polls} poller requests "
            f"({polls / self.wall_s:.0f}/s), {len(self.errors)} errors, "
            f"{self.reconnects} idle connections reopened."
        )


def photo(width: int, height: int) -> bytes:
    """A JPEG that compresses like a phone photo."""
    base = Image.linear_gradient("L").resize((width, height))
    noise = Image.effect_noise((width // 4, height // 4), 60).resize((width, height), Image.BICUBIC)
    fine = Image.effect_noise((width, height), 25)
    image = Image.merge("RGB", (Image.blend(base, noise, 0.5), Image.blend(noise, fine, 0.4), base))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


@dataclass
class Answer:
    """A response: status, body and the headers that matter here."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.content)


class StaleConnection(ConnectionError):
    """A kept-alive connection the server had closed before the request reached it."""


class RawConnection:
    """One kept-alive HTTP/1.1 connection, as a browser tab holds one: cheap enough that the load
    generator does not become the bottleneck (a pooled client costs milliseconds per request)."""

    def __init__(self, host: str, port: int, timeout_s: float = 60.0) -> None:
        self.host = host
        self.port = port
        self.timeout_s = timeout_s
        self.reconnects = 0
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def request(
        self, method: str, target: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Answer:
        """Send one request; a connection the server closed while idle is reopened once."""
        reused = self._writer is not None
        try:
            return await self._exchange(method, target, body, headers or {})
        except StaleConnection:
            if not reused:
                raise
            self.reconnects += 1
            await self.close()
            return await self._exchange(method, target, body, headers or {})

    async def _exchange(self, method: str, target: str, body: bytes, headers: dict[str, str]) -> Answer:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        assert self._reader is not None and self._writer is not None
        lines = [
            f"{method} {target} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        async with asyncio.timeout(self.timeout_s):
            self._writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await self._writer.drain()
            try:
                head = await self._reader.readuntil(b"\r\n\r\n")
            except asyncio.IncompleteReadError as exc:
                await self.close()
                if not exc.partial:
                    raise StaleConnection("the server closed the connection") from exc
                raise
            status_line, *header_lines = head.decode("latin-1").split("\r\n")
            fields = {
                name.strip().lower(): value.strip()
                for name, _, value in (line.partition(":") for line in header_lines if line)
            }
            length = int(fields.get("content-length", "0"))
            content = await self._reader.readexactly(length) if length else b""
        if fields.get("connection", "").lower() == "close":
            await self.close()
        return Answer(int(status_line.split(" ", 2)[1]), content)

    async def close(self) -> None:
        """Close the connection (the next request opens a new one)."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


class LoadRun:
    """The workers of one run and the list of jobs started so far."""

    def __init__(
        self,
        url: str,
        key: str,
        secret: str,
        result: LoadResult,
        photo_data: bytes,
        poll_interval_s: float,
        deadline: float,
    ) -> None:
        target = urlsplit(url)
        self.host = target.hostname or "127.0.0.1"
        self.port = target.port or 80
        self.key = key
        self.secret = secret
        self.result = result
        self.photo = photo_data
        self.poll_interval_s = poll_interval_s
        self.deadline = deadline
        self.job_ids: list[str] = []

    def connection(self) -> RawConnection:
        """A new connection to the service (one per worker)."""
        return RawConnection(self.host, self.port)

    async def timed(
        self,
        conn: RawConnection,
        kind: str,
        method: str,
        target: str,
        body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> Answer | None:
        """One request, its latency recorded; ``None`` (and an error) unless it answered 2xx."""
        started = time.perf_counter()
        try:
            response = await conn.request(method, target, body, headers)
        except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
            self.result.errors.append(f"{kind}: {type(exc).__name__}: {exc}")
            await conn.close()
            return None
        self.result.latencies[kind].append(time.perf_counter() - started)
        if not 200 <= response.status_code < 300:
            self.result.errors.append(f"{kind}: HTTP {response.status_code} {response.text[:200]}")
            return None
        return response

    async def one_photo(self, conn: RawConnection) -> None:
        """Upload, run the profile workflow, follow it, fetch the avatar, delete the original."""
        started = time.perf_counter()
        stored = await self.timed(
            conn,
            "upload",
            "POST",
            f"/www/api/store/S3?key={self.key}",
            self.photo,
            {"Content-Type": "image/jpeg"},
        )
        if stored is None:
            return
        handle = stored.json()["handle"]
        run = await self.timed(
            conn, "run_workflow", "GET", f"/cdn/{self.key}/run_workflow=id:{PROFILE_WORKFLOW_ID}/{handle}"
        )
        if run is None:
            return
        job_id = run.json()["jobid"]
        self.job_ids.append(job_id)
        while True:
            await asyncio.sleep(self.poll_interval_s)
            status = await self.timed(
                conn, "status (uploader)", "GET", f"/cdn/{self.key}/workflow_status=job_id:{job_id}"
            )
            if status is None:
                return
            body = status.json()
            if body["status"] != "Started":
                break
        if body["status"] != "Finished":
            self.result.errors.append(f"job {job_id} ended {body['status']}: {body.get('error')}")
            return
        final_handle = body["results"]["avatar"]["data"]["handle"]
        final = await self.timed(conn, "final download", "GET", f"/cdn/{final_handle}")
        if final is None:
            return
        with Image.open(io.BytesIO(final.content)) as image:
            if (image.format, image.size) != ("JPEG", (400, 400)):
                self.result.errors.append(f"avatar of job {job_id} is {image.format} {image.size}")
                return
        remove = make_security(
            {"expiry": int(time.time()) + 300, "call": ["remove"], "handle": handle}, self.secret
        )
        if (
            await self.timed(
                conn, "delete", "DELETE", f"/www/api/file/{handle}?{urlencode(remove.as_query())}"
            )
            is None
        ):
            return
        self.result.latencies["photo end to end"].append(time.perf_counter() - started)
        self.result.finished_photos += 1

    async def uploader(self) -> None:
        """Photos one after the other until the deadline; the last one is followed to its end."""
        conn = self.connection()
        try:
            while time.monotonic() < self.deadline:
                await self.one_photo(conn)
        finally:
            self.result.reconnects += conn.reconnects
            await conn.close()

    async def poller(self, number: int) -> None:
        """Status reads of random jobs at the page's rate until the deadline."""
        rng = random.Random(number)
        conn = self.connection()
        await asyncio.sleep(rng.random() * self.poll_interval_s)
        try:
            while time.monotonic() < self.deadline:
                if self.job_ids:
                    job_id = rng.choice(self.job_ids)
                    await self.timed(
                        conn, "status (poller)", "GET", f"/cdn/{self.key}/workflow_status=job_id:{job_id}"
                    )
                await asyncio.sleep(self.poll_interval_s)
        finally:
            self.result.reconnects += conn.reconnects
            await conn.close()

    async def verify_finals(self) -> None:
        """Every job started ended Finished and its avatar is still served."""
        conn = self.connection()
        try:
            for job_id in self.job_ids:
                status = await conn.request("GET", f"/cdn/{self.key}/workflow_status=job_id:{job_id}")
                body = status.json()
                if body.get("status") != "Finished":
                    self.result.errors.append(f"job {job_id} is {body.get('status')} after the run")
                    continue
                handle = body["results"]["avatar"]["data"]["handle"]
                if (await conn.request("GET", f"/cdn/{handle}")).status_code != 200:
                    self.result.errors.append(f"the avatar of job {job_id} is gone")
                    continue
                self.result.finals_verified += 1
        finally:
            await conn.close()


async def run_against(
    url: str,
    key: str,
    secret: str,
    *,
    uploads: int,
    pollers: int,
    duration_s: float,
    poll_interval_s: float = 0.2,
    photo_size: tuple[int, int] = (3000, 2000),
) -> LoadResult:
    """Run the load against a service already listening at ``url``."""
    data = photo(*photo_size)
    result = LoadResult(
        uploads=uploads,
        pollers=pollers,
        duration_s=duration_s,
        photo_bytes=len(data),
        load_before=os.getloadavg()[0],
    )
    started = time.monotonic()
    run = LoadRun(url, key, secret, result, data, poll_interval_s, started + duration_s)
    await asyncio.gather(*(run.uploader() for _ in range(uploads)), *(run.poller(n) for n in range(pollers)))
    result.wall_s = time.monotonic() - started
    await run.verify_finals()
    return result


def run_load(
    *,
    uploads: int,
    pollers: int,
    duration_s: float,
    poll_interval_s: float = 0.2,
    photo_size: tuple[int, int] = (3000, 2000),
    data_dir: Path | None = None,
) -> LoadResult:
    """Start the service on a fresh data dir, run the load, stop the service."""
    with tempfile.TemporaryDirectory(prefix="load-") as scratch:
        service = ServiceProcess(data_dir or Path(scratch) / "data")
        with service:
            creds = service.credentials
            return asyncio.run(
                run_against(
                    service.url,
                    creds["api_key"],
                    creds["app_secret"],
                    uploads=uploads,
                    pollers=pollers,
                    duration_s=duration_s,
                    poll_interval_s=poll_interval_s,
                    photo_size=photo_size,
                )
            )


def queueing(result: LoadResult) -> str:
    """What the end-to-end time of a photo is made of when uploads outnumber the image processes."""
    throughput = result.finished_photos / result.wall_s if result.wall_s else 0.0
    if not throughput:
        return ""
    return (
        f"With {result.uploads} photos in flight and {throughput:.1f} finishing per second, a photo spends "
        f"about {result.uploads / throughput:.1f} s in the system (Little's law), nearly all of it waiting "
        "for an image process: the image work is CPU-bound, so the end-to-end time follows the number of "
        "photos in flight; status reads do not queue behind it."
    )


def report(result: LoadResult) -> str:
    """The Markdown section for ``docs/load.md``."""
    machine = f"{platform.machine()}, {os.cpu_count()} CPU, Python {platform.python_version()}"
    errors = "\n".join(f"- {error}" for error in result.errors[:20]) or "- none"
    return (
        "## Load\n\n"
        "`make load` (`bench/load_test.py`): the service as its own process on loopback, default settings "
        f"(4 runners, {min(os.cpu_count() or 1, 4)} image processes); "
        f"load generator on the same machine ({machine}; load average {result.load_before:.1f} "
        "when the run started). "
        "Uploaders each loop upload → `run_workflow` "
        "(profile: EXIF rotate, strip, 400×400 face-aware crop, store) "
        "→ poll status every 0.2 s → download the avatar (checked 400×400 JPEG) → delete the original; "
        "pollers read the status of random jobs every 0.2 s, as open pages do.\n\n"
        f"{result.summary()}\n\n{result.table()}\n\n"
        f"{queueing(result)}\n\nErrors:\n{errors}\n"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the load test from the command line; exit 1 on any error."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--uploads", type=int, default=50)
    parser.add_argument("--pollers", type=int, default=200)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds during which new photos start")
    parser.add_argument("--poll-interval", type=float, default=0.2)
    parser.add_argument("--photo", default="3000x2000", help="WIDTHxHEIGHT of the uploaded photo")
    parser.add_argument("--markdown", type=Path, default=None, help="also write the report to this file")
    args = parser.parse_args(argv)
    width, _, height = args.photo.partition("x")
    result = run_load(
        uploads=args.uploads,
        pollers=args.pollers,
        duration_s=args.duration,
        poll_interval_s=args.poll_interval,
        photo_size=(int(width), int(height)),
    )
    text = report(result)
    print(text)
    if args.markdown is not None:
        args.markdown.write_text(text)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
