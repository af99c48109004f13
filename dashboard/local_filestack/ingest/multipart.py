"""Multipart upload sessions: parts on disk until ``complete`` assembles them.

Each session lives in ``data_dir/multipart/<upload_id>/``: ``session.json`` and one
file per part, written atomically. Parts are checked against the ETags (hex MD5)
the client reports, in part order, before anything is stored.

Intelligent ingestion (``fii``) sends each part in chunks with an ``offset``; each chunk
is kept as its own file until ``commit`` joins a part's chunks (which must cover it
without gap or overlap), and ``complete`` then takes every committed part in order,
without a ``parts`` list.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import shutil
import time
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dashboard.local_filestack.ingest.errors import BadUpload, UploadNotFound
from dashboard.local_filestack.ingest.receive import StoreOptions
from dashboard.local_filestack.storage.atomic import atomic_write

MAX_PARTS = 10_000
STALE_AFTER_S = 24 * 3600
_UPLOAD_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def upload_handle(upload_id: str) -> str:
    """The handle an upload's file is stored under, the same at every ``complete`` of it: a retried
    or repeated ``complete`` (after a timeout, a restart) finds the file instead of storing another."""
    digest = hashlib.sha256(b"multipart-handle:" + upload_id.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")[:20]


def _parse_store(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value) if value.strip() else {}
        except (json.JSONDecodeError, RecursionError) as err:
            raise ValueError("store must be a JSON object") from err
    return {} if value is None else value


class _Body(BaseModel):
    model_config = ConfigDict(extra="allow")

    apikey: str
    store: StoreOptions = Field(default_factory=StoreOptions)
    policy: str | None = None
    signature: str | None = None

    @field_validator("store", mode="before")
    @classmethod
    def _store_from_string(cls, value: Any) -> Any:
        return _parse_store(value)


class StartRequest(_Body):
    """``POST /multipart/start``."""

    filename: str
    mimetype: str = "application/octet-stream"
    size: int = Field(ge=0)
    fii: bool = False


class PartRequest(_Body):
    """``POST /multipart/upload``: where to PUT one part."""

    upload_id: str
    uri: str | None = None
    region: str | None = None
    part: int = Field(ge=1, le=MAX_PARTS)
    size: int = Field(ge=1)
    md5: str
    offset: int | None = Field(default=None, ge=0)
    fii: bool = False


class CommitRequest(_Body):
    """``POST /multipart/commit`` (intelligent ingestion)."""

    upload_id: str
    part: int | None = Field(default=None, ge=1, le=MAX_PARTS)
    size: int | None = None


class PartRef(BaseModel):
    """One entry of ``complete``'s ``parts``."""

    part_number: int = Field(ge=1, le=MAX_PARTS)
    etag: str


def _parse_parts(value: Any) -> Any:
    """``"1:etag;2:etag"`` (the string form) as a list of part refs."""
    if isinstance(value, str):
        refs = []
        for item in filter(None, (piece.strip() for piece in value.split(";"))):
            number, sep, etag = item.partition(":")
            if not sep:
                raise ValueError(f"part '{item}' is not 'number:etag'")
            refs.append({"part_number": number, "etag": etag})
        return refs
    return value


class CompleteRequest(_Body):
    """``POST /multipart/complete``."""

    upload_id: str
    uri: str | None = None
    region: str | None = None
    filename: str
    mimetype: str = "application/octet-stream"
    size: int = Field(ge=0)
    #: The parts and their ETags; None for intelligent ingestion (the committed parts are used).
    parts: list[PartRef] | None = Field(default=None, min_length=1)
    fii: bool = False
    upload_tags: dict[str, str] | None = None

    @field_validator("parts", mode="before")
    @classmethod
    def _parts_from_string(cls, value: Any) -> Any:
        if value == "" or value == []:
            return None
        return _parse_parts(value)


class UploadSession(BaseModel):
    """What ``start`` recorded about an upload."""

    upload_id: str
    filename: str
    mimetype: str
    size: int
    store: StoreOptions
    created: float
    intelligent: bool = False


def b64_md5(data: bytes) -> str:
    """Base64 of the raw MD5 digest (the ``Content-MD5`` form)."""
    return base64.b64encode(hashlib.md5(data).digest()).decode("ascii")


class MultipartStore:
    """Upload sessions and their parts under ``root``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _dir(self, upload_id: str) -> Path:
        if not _UPLOAD_ID_RE.match(upload_id):
            raise UploadNotFound(upload_id)
        return self.root / upload_id

    def start(
        self, *, filename: str, mimetype: str, size: int, store: StoreOptions, intelligent: bool = False
    ) -> UploadSession:
        """Open a new session (``intelligent``: parts arrive in chunks and are committed)."""
        session = UploadSession(
            upload_id=secrets.token_urlsafe(24),
            filename=filename,
            mimetype=mimetype,
            size=size,
            store=store,
            created=time.time(),
            intelligent=intelligent,
        )
        folder = self._dir(session.upload_id)
        folder.mkdir()
        atomic_write(folder / "session.json", session.model_dump_json().encode())
        return session

    def load(self, upload_id: str) -> UploadSession:
        """The session; :class:`UploadNotFound` if there is none."""
        try:
            return UploadSession.model_validate_json((self._dir(upload_id) / "session.json").read_bytes())
        except FileNotFoundError as err:
            raise UploadNotFound(upload_id) from err

    def write_part(self, upload_id: str, part: int, data: bytes, offset: int | None = None) -> str:
        """Keep one part (or, with ``offset``, one chunk of a part); return its hex MD5 (the ETag)."""
        folder = self._dir(upload_id)
        if not (folder / "session.json").exists():
            raise UploadNotFound(upload_id)
        name = f"part-{part:05d}" if offset is None else f"chunk-{part:05d}-{offset:012d}"
        atomic_write(folder / name, data)
        return hashlib.md5(data).hexdigest()

    def commit_part(self, upload_id: str, part: int) -> int:
        """Join the chunks of ``part`` (intelligent ingestion) into the part; its size.

        The chunks must follow each other from offset 0 without gap or overlap.
        """
        folder = self._dir(upload_id)
        chunks = sorted(folder.glob(f"chunk-{part:05d}-*"))
        if not chunks:
            if (folder / f"part-{part:05d}").exists():
                return (folder / f"part-{part:05d}").stat().st_size  # committed already
            raise BadUpload(f"part {part} has no chunks to commit")
        joined = bytearray()
        for chunk in chunks:
            offset = int(chunk.name.rsplit("-", 1)[1])
            if offset != len(joined):
                raise BadUpload(
                    f"part {part}: the chunk at offset {offset} does not follow byte {len(joined)}"
                )
            joined += chunk.read_bytes()
        atomic_write(folder / f"part-{part:05d}", bytes(joined))
        for chunk in chunks:
            chunk.unlink(missing_ok=True)
        return len(joined)

    def committed_parts(self, upload_id: str) -> list[PartRef]:
        """Every part on disk, numbered from 1 without gap, with its ETag (intelligent ingestion)."""
        folder = self._dir(upload_id)
        if any(folder.glob("chunk-*")):
            raise BadUpload("a part was sent in chunks but never committed")
        numbers = sorted(int(path.name.removeprefix("part-")) for path in folder.glob("part-*"))
        if numbers != list(range(1, len(numbers) + 1)):
            raise BadUpload("the committed parts are not numbered 1, 2, 3... without gap")
        return [
            PartRef(
                part_number=number, etag=hashlib.md5((folder / f"part-{number:05d}").read_bytes()).hexdigest()
            )
            for number in numbers
        ]

    def assemble(self, upload_id: str, parts: list[PartRef], size: int) -> bytes:
        """The parts joined in order, after checking every ETag and the total size."""
        folder = self._dir(upload_id)
        numbers = [ref.part_number for ref in parts]
        if len(set(numbers)) != len(numbers):
            raise BadUpload("parts repeat a part number")
        chunks: list[bytes] = []
        total = 0
        for ref in sorted(parts, key=lambda r: r.part_number):
            try:
                data = (folder / f"part-{ref.part_number:05d}").read_bytes()
            except FileNotFoundError as err:
                raise BadUpload(f"part {ref.part_number} was never uploaded") from err
            if hashlib.md5(data).hexdigest() != ref.etag.strip().strip('"').lower():
                raise BadUpload(f"etag mismatch for part {ref.part_number}")
            total += len(data)
            if total > size:
                break
            chunks.append(data)
        if total != size:
            raise BadUpload(f"parts add up to {total} bytes, expected {size}")
        return b"".join(chunks)

    def discard(self, upload_id: str) -> None:
        """Remove a session and its parts."""
        shutil.rmtree(self._dir(upload_id), ignore_errors=True)

    def purge_stale(self, max_age_s: float = STALE_AFTER_S) -> int:
        """Remove sessions older than ``max_age_s``; return how many."""
        cutoff = time.time() - max_age_s
        removed = 0
        for folder in self.root.iterdir():
            try:
                if folder.is_dir() and folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
                    removed += 1
            except FileNotFoundError:
                continue
        return removed


def part_token(secret: str, upload_id: str, part: int, size: int, md5: str, offset: int | None = None) -> str:
    """The signature that makes a part's (or a chunk's, with ``offset``) PUT URL unforgeable."""
    message = f"{upload_id}:{part}:{size}:{md5}".encode() + (b"" if offset is None else f":{offset}".encode())
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]
