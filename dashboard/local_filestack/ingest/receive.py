"""Receiving a file: the request body within the size cap, and what the bytes are.

A body arrives raw (any Content-Type), as multipart field ``fileUpload``, or as a
form field ``url=`` naming a file to fetch. Nothing above the cap is ever buffered:
Content-Length is checked first and the stream is counted as it is read.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, ConfigDict, field_validator
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.types import Message, Receive

from dashboard.local_filestack.imaging import ImagingError, Limits, probe, sniff_mimetype
from dashboard.local_filestack.imaging.sniff import OCTET_STREAM
from dashboard.local_filestack.ingest.errors import BadUpload, UploadTooLarge
from dashboard.local_filestack.ingest.netguard import FetchOptions, url_filename
from dashboard.local_filestack.storage.files import HandleInUse, NewFile, StoredFile
from dashboard.local_filestack.storage.store import Storage

#: Storage providers Filestack accepts, and how the service records them.
LOCATIONS: dict[str, str] = {
    "s3": "S3",
    "gcs": "gcs",
    "azure": "azure",
    "rackspace": "rackspace",
    "dropbox": "dropbox",
}
FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
FILE_FIELD = "fileUpload"
URL_FIELD = "url"
#: Room for multipart boundaries and headers around a file at the cap.
_FORM_OVERHEAD = 64 * 1024


class Incoming(BaseModel):
    """The bytes of an upload, the name the client gave it, if any, and whether they came from a URL."""

    data: bytes
    filename: str | None = None
    from_url: bool = False


class Described(BaseModel):
    """What the bytes are, judged from their content."""

    mimetype: str
    width: int | None = None
    height: int | None = None


def check_declared_length(request: Request, cap: int) -> None:
    """Refuse a body whose Content-Length is already over ``cap``."""
    declared = request.headers.get("content-length")
    if declared is None:
        return
    if not declared.strip().isdigit():
        raise BadUpload("invalid Content-Length header")
    if int(declared) > cap:
        raise UploadTooLarge(cap)


def _counting_receive(receive: Receive, cap: int, limit_for_error: int) -> Receive:
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > cap:
                raise UploadTooLarge(limit_for_error)
        return message

    return wrapped


async def read_body(request: Request, cap: int) -> bytes:
    """The raw body, refusing anything over ``cap`` bytes."""
    check_declared_length(request, cap)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > cap:
            raise UploadTooLarge(cap)
        chunks.append(chunk)
    return b"".join(chunks)


def is_form(request: Request) -> bool:
    """True for multipart and urlencoded bodies."""
    content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return content_type in FORM_TYPES


async def receive_file(request: Request, cap: int, fetching: FetchOptions) -> Incoming:
    """Read an upload from the body: raw bytes, ``fileUpload`` or ``url=`` (fetched within ``fetching``'s caps)."""
    if not is_form(request):
        return Incoming(data=await read_body(request, cap))
    check_declared_length(request, cap + _FORM_OVERHEAD)
    capped = Request(request.scope, _counting_receive(request.receive, cap + _FORM_OVERHEAD, cap))
    async with capped.form(max_files=1, max_fields=100) as form:
        upload = form.get(FILE_FIELD)
        if isinstance(upload, UploadFile):
            data = await upload.read(cap + 1)
            if len(data) > cap:
                raise UploadTooLarge(cap)
            return Incoming(data=data, filename=upload.filename)
        url = form.get(URL_FIELD)
        if isinstance(url, str) and url.strip():
            url = url.strip()
            data, _declared_type = await fetching.fetch(url)
            return Incoming(data=data, filename=url_filename(url), from_url=True)
    raise BadUpload(
        f"Parameters are invalid: send the file as the body, as '{FILE_FIELD}' or as '{URL_FIELD}'"
    )


def _describe(data: bytes, limits: Limits, declared: str | None) -> Described:
    mimetype = sniff_mimetype(data)
    if mimetype == OCTET_STREAM and declared:
        mimetype = declared
    if not mimetype.startswith("image/") or mimetype == "image/svg+xml":
        return Described(mimetype=mimetype)
    try:
        info = probe(data, limits)
    except ImagingError:
        return Described(mimetype=mimetype)
    return Described(mimetype=mimetype, width=info.width, height=info.height)


async def describe(data: bytes, limits: Limits, declared: str | None = None) -> Described:
    """The sniffed media type (``declared`` when sniffing finds nothing better) and, for readable
    images, the dimensions."""
    return await asyncio.to_thread(_describe, data, limits, declared)


class StoreOptions(BaseModel):
    """Where and how to store a file: the ``store`` options of every upload path."""

    model_config = ConfigDict(extra="ignore")

    filename: str | None = None
    location: str = "S3"
    path: str | None = None
    container: str | None = None
    access: str = "private"
    region: str | None = None
    workflows: list[str] | None = None

    @field_validator("workflows", mode="before")
    @classmethod
    def _workflow_ids(cls, value: object) -> object:
        """Ids, or ``{"id": ...}`` objects (the JS picker's ``storeTo.workflows``), or one id."""
        if value is None or value is True:
            return None
        if isinstance(value, str):
            return [value]
        if isinstance(value, list):
            return [item.get("id") if isinstance(item, dict) else item for item in value]
        return value

    @field_validator("location")
    @classmethod
    def _known_location(cls, value: str) -> str:
        normalised = LOCATIONS.get(value.lower())
        if normalised is None:
            raise ValueError(f"unsupported storage location '{value}'")
        return normalised

    @field_validator("access")
    @classmethod
    def _known_access(cls, value: str) -> str:
        if value not in ("public", "private"):
            raise ValueError("access must be 'public' or 'private'")
        return value

    def new_file(
        self,
        data: bytes,
        *,
        filename: str | None,
        mimetype: str,
        width: int | None = None,
        height: int | None = None,
    ) -> NewFile:
        """``data`` as a file to store with these options (their ``filename``, when set, wins)."""
        return NewFile(
            data=data,
            filename=self.filename or filename or "",
            mimetype=mimetype,
            width=width,
            height=height,
            location=self.location,
            path=self.path,
            container=self.container,
            access=self.access,
        )


async def store_bytes(
    storage: Storage,
    limits: Limits,
    data: bytes,
    *,
    filename: str | None,
    options: StoreOptions,
    handle: str | None = None,
) -> StoredFile:
    """Sniff, measure and store ``data`` as a new file (under ``handle`` when given: a file
    already stored there is answered as it is, so storing again after a retry stores nothing)."""
    if not data:
        raise BadUpload("file is empty")
    described = await describe(data, limits)
    new = options.new_file(
        data, filename=filename, mimetype=described.mimetype, width=described.width, height=described.height
    )
    try:
        return await asyncio.to_thread(storage.put, new, handle=handle)
    except HandleInUse:
        return await asyncio.to_thread(storage.get, handle or "")
