"""Filestack's multipart upload: start, upload each part to its presigned URL, complete.

1. ``POST {upload_url}/multipart/start`` with the file's name, type, size and store options.
2. Per part: ``POST {location}/multipart/upload`` (part number, size, base64 MD5) returns a
   presigned ``url`` and ``headers``; the part is ``PUT`` there and its ``ETag`` kept.
3. ``POST {location}/multipart/complete`` with the ordered ``parts``; a ``202`` means the
   parts are still being merged, so it is asked again (a bounded number of times).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from dataclasses import dataclass
from typing import Any

from dashboard.filestack_protocol.security import Security

from .errors import FilestackError, FilestackResponseError
from .models import CompleteResponse, MultipartPartUrl, MultipartStart
from .transport import HttpSender, Sleep, read_model
from .urls import multipart_base_url, multipart_start_url

#: How many times ``complete`` is asked while it answers 202.
COMPLETE_ATTEMPTS = 20
#: Longest wait between two ``complete`` attempts.
COMPLETE_MAX_WAIT_S = 5.0


def part_md5(chunk: bytes) -> str:
    """Base64 of the raw MD5 digest, as ``/multipart/upload`` expects."""
    return base64.b64encode(hashlib.md5(chunk).digest()).decode("ascii")


@dataclass(frozen=True)
class MultipartJob:
    """What to upload and where; ``store`` is the JSON ``store`` object sent with every call."""

    apikey: str
    upload_url: str
    data: bytes
    filename: str
    mimetype: str
    store: dict[str, Any]
    security: Security | None
    part_size: int
    concurrency: int = 3
    complete_wait_s: float = 1.0

    def base_fields(self) -> dict[str, Any]:
        """Fields every multipart call carries: key, store options and the policy."""
        fields: dict[str, Any] = {"apikey": self.apikey, "store": dict(self.store)}
        if self.security is not None:
            fields.update(self.security.as_query())
        return fields

    def chunks(self) -> list[tuple[int, bytes]]:
        """``(part number from 1, bytes)`` for every part."""
        view = memoryview(self.data)
        return [
            (number, bytes(view[offset : offset + self.part_size]))
            for number, offset in enumerate(range(0, len(self.data), self.part_size), start=1)
        ]


async def upload_multipart(sender: HttpSender, job: MultipartJob, *, sleep: Sleep) -> CompleteResponse:
    """Run the whole multipart flow for ``job`` and return the stored file."""
    if not job.data:
        raise ValueError("data is empty: Filestack refuses zero-byte multipart uploads")
    if job.part_size < 1:
        raise ValueError("part_size must be positive")
    start_body = {
        **job.base_fields(),
        "filename": job.filename,
        "mimetype": job.mimetype,
        "size": len(job.data),
    }
    response = await sender.request(
        "POST", multipart_start_url(job.upload_url), json_body=start_body, idempotent=False
    )
    start = read_model(response, MultipartStart)
    base = multipart_base_url(start.location_url, job.upload_url)
    region_headers = {"Filestack-Upload-Region": start.location_region} if start.location_region else {}
    session = {"uri": start.uri, "region": start.region, "upload_id": start.upload_id}

    limit = asyncio.Semaphore(max(1, job.concurrency))

    async def send_part(number: int, chunk: bytes) -> dict[str, Any]:
        async with limit:
            return await _upload_part(sender, job, base, session, region_headers, number, chunk)

    parts = await asyncio.gather(*(send_part(number, chunk) for number, chunk in job.chunks()))
    complete_body = {
        **job.base_fields(),
        **session,
        "filename": job.filename,
        "mimetype": job.mimetype,
        "size": len(job.data),
        "parts": sorted(parts, key=lambda part: part["part_number"]),
    }
    return await _complete(sender, f"{base}/multipart/complete", complete_body, region_headers, job, sleep)


async def _upload_part(
    sender: HttpSender,
    job: MultipartJob,
    base: str,
    session: dict[str, str],
    region_headers: dict[str, str],
    number: int,
    chunk: bytes,
) -> dict[str, Any]:
    """Get the part's presigned URL, PUT the bytes there, return ``{part_number, etag}``."""
    body = {**job.base_fields(), **session, "part": number, "size": len(chunk), "md5": part_md5(chunk)}
    # Asking for a part's URL changes nothing on the server, so it is safe to retry.
    response = await sender.request(
        "POST", f"{base}/multipart/upload", json_body=body, headers=region_headers, idempotent=True
    )
    target = read_model(response, MultipartPartUrl)
    put = await sender.request(
        "PUT",
        target.url,
        content=chunk,
        headers=target.headers,
        filestack_headers=False,
        idempotent=True,
    )
    etag = put.headers.get("ETag")
    if not etag:
        raise FilestackResponseError(f"part {number} was stored without an ETag")
    return {"part_number": number, "etag": etag}


async def _complete(
    sender: HttpSender,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    job: MultipartJob,
    sleep: Sleep,
) -> CompleteResponse:
    """Ask ``complete`` until it stops answering 202 (parts still merging)."""
    wait = job.complete_wait_s
    for attempt in range(1, COMPLETE_ATTEMPTS + 1):
        response = await sender.request("POST", url, json_body=body, headers=headers, idempotent=False)
        if response.status_code != 202:
            return read_model(response, CompleteResponse)
        if attempt < COMPLETE_ATTEMPTS:
            await sleep(wait)
            wait = min(wait * 1.5, COMPLETE_MAX_WAIT_S)
    raise FilestackError(
        f"multipart upload of {job.filename!r} was not completed after {COMPLETE_ATTEMPTS} attempts"
    )
