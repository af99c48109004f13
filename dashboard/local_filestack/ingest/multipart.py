"""Multipart upload sessions: parts kept in the shared storage until ``complete`` assembles them.

Sessions and parts live where the files do, so every part may reach any machine: each
session is a row of ``multipart_sessions`` and each part (or chunk) a row of
``multipart_parts`` in the storage's database (SQLite on one machine, PostgreSQL shared by
all), its bytes a blob of the storage's blob store (the data dir's ``files/``, or the S3
bucket) under a fresh name. Parts are checked against the ETags (hex MD5) the client
reports, in part order, before anything is stored.

Intelligent ingestion (``fii``) sends each part in chunks with an ``offset``; each chunk
is kept as its own file until ``commit`` joins a part's chunks (which must cover it
without gap or overlap), and ``complete`` then takes every committed part in order,
without a ``parts`` list.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dashboard.local_filestack.ingest.errors import BadUpload, UploadNotFound
from dashboard.local_filestack.ingest.receive import StoreOptions
from dashboard.local_filestack.storage.blobs import BlobMissing, BlobStore, blob_name
from dashboard.local_filestack.storage.files import new_handle
from dashboard.local_filestack.storage.sql import Database, Dialect

MAX_PARTS = 10_000
#: ``chunk_offset`` of a whole part (a chunk has its byte offset in the part).
WHOLE = -1
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


def schema(dialect: Dialect) -> tuple[str, ...]:
    """The sessions' and parts' tables in ``dialect``."""
    return (
        f"""CREATE TABLE IF NOT EXISTS multipart_sessions (
        upload_id TEXT PRIMARY KEY,
        session   TEXT NOT NULL,
        created   {dialect.real} NOT NULL
    )""",
        f"""CREATE TABLE IF NOT EXISTS multipart_parts (
        upload_id    TEXT NOT NULL,
        part         INTEGER NOT NULL,
        chunk_offset {dialect.big_integer} NOT NULL,
        blob         TEXT NOT NULL,
        size         {dialect.big_integer} NOT NULL,
        md5          TEXT NOT NULL,
        PRIMARY KEY (upload_id, part, chunk_offset)
    )""",
    )


class MultipartStore:
    """Upload sessions and their parts: rows in ``db``, bytes in ``blobs`` (the storage's own)."""

    def __init__(self, blobs: BlobStore, db: Database) -> None:
        self.blobs = blobs
        self.db = db
        self._mark = db.dialect.mark
        with db.transaction() as cursor:
            if db.dialect.schema_lock:
                cursor.execute(db.dialect.schema_lock)
            for statement in schema(db.dialect):
                cursor.execute(statement)

    @staticmethod
    def _checked(upload_id: str) -> str:
        if not _UPLOAD_ID_RE.match(upload_id):
            raise UploadNotFound(upload_id)
        return upload_id

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
        self.db.execute(
            [
                (
                    f"INSERT INTO multipart_sessions (upload_id, session, created) VALUES ({self.db.dialect.marks(3)})",
                    (session.upload_id, session.model_dump_json(), session.created),
                )
            ]
        )
        return session

    def load(self, upload_id: str) -> UploadSession:
        """The session; :class:`UploadNotFound` if there is none."""
        found = self.db.query(
            f"SELECT session FROM multipart_sessions WHERE upload_id = {self._mark}",
            (self._checked(upload_id),),
        )
        if not found:
            raise UploadNotFound(upload_id)
        return UploadSession.model_validate_json(found[0][0])

    def _rows(self, upload_id: str, part: int | None = None) -> list[tuple[int, int, str, int, str]]:
        """(part, chunk_offset, blob, size, md5) of the session's parts, by part and offset."""
        where = f"upload_id = {self._mark}"
        params: list[str | int] = [upload_id]
        if part is not None:
            where += f" AND part = {self._mark}"
            params.append(part)
        return [
            (int(p), int(o), b, int(z), m)
            for p, o, b, z, m in self.db.query(
                f"SELECT part, chunk_offset, blob, size, md5 FROM multipart_parts WHERE {where} "
                "ORDER BY part, chunk_offset",
                tuple(params),
            )
        ]

    def _keep(self, upload_id: str, part: int, offset: int, data: bytes, *, replaces: list[str]) -> str:
        """Store ``data`` as the (part, offset) row, dropping the rows whose blobs are ``replaces``; its MD5."""
        md5 = hashlib.md5(data).hexdigest()
        blob = blob_name(new_handle())
        self.blobs.write(blob, data)
        mark = self._mark
        dropped: list[str] = []
        try:
            with self.db.transaction() as cursor:
                cursor.execute(
                    f"SELECT blob FROM multipart_parts WHERE upload_id = {mark} AND part = {mark} "
                    f"AND chunk_offset = {mark}",
                    (upload_id, part, offset),
                )
                dropped = [row[0] for row in cursor.fetchall()]
                for old in replaces:
                    cursor.execute(
                        f"DELETE FROM multipart_parts WHERE upload_id = {mark} AND blob = {mark}",
                        (upload_id, old),
                    )
                cursor.execute(
                    f"INSERT INTO multipart_parts (upload_id, part, chunk_offset, blob, size, md5) "
                    f"VALUES ({self.db.dialect.marks(6)}) ON CONFLICT (upload_id, part, chunk_offset) "
                    "DO UPDATE SET blob = excluded.blob, size = excluded.size, md5 = excluded.md5",
                    (upload_id, part, offset, blob, len(data), md5),
                )
        except BaseException:
            self.blobs.remove(blob)
            raise
        for old in [*dropped, *replaces]:
            self.blobs.remove(old)
        return md5

    def write_part(self, upload_id: str, part: int, data: bytes, offset: int | None = None) -> str:
        """Keep one part (or, with ``offset``, one chunk of a part); return its hex MD5 (the ETag)."""
        self.load(upload_id)
        return self._keep(upload_id, part, WHOLE if offset is None else offset, data, replaces=[])

    def _read(self, blob: str, what: str) -> bytes:
        try:
            return self.blobs.read(blob)
        except BlobMissing as err:
            raise BadUpload(f"{what} is gone; upload it again") from err

    def commit_part(self, upload_id: str, part: int) -> int:
        """Join the chunks of ``part`` (intelligent ingestion) into the part; its size.

        The chunks must follow each other from offset 0 without gap or overlap.
        """
        rows = self._rows(self._checked(upload_id), part)
        chunks = [row for row in rows if row[1] != WHOLE]
        if not chunks:
            whole = [row for row in rows if row[1] == WHOLE]
            if whole:
                return whole[0][3]  # committed already
            raise BadUpload(f"part {part} has no chunks to commit")
        joined = bytearray()
        for _part, offset, blob, _size, _md5 in chunks:
            if offset != len(joined):
                raise BadUpload(
                    f"part {part}: the chunk at offset {offset} does not follow byte {len(joined)}"
                )
            joined += self._read(blob, f"part {part}'s chunk at offset {offset}")
        self._keep(upload_id, part, WHOLE, bytes(joined), replaces=[row[2] for row in chunks])
        return len(joined)

    def committed_parts(self, upload_id: str) -> list[PartRef]:
        """Every part kept, numbered from 1 without gap, with its ETag (intelligent ingestion)."""
        rows = self._rows(self._checked(upload_id))
        if any(row[1] != WHOLE for row in rows):
            raise BadUpload("a part was sent in chunks but never committed")
        numbers = [row[0] for row in rows]
        if numbers != list(range(1, len(numbers) + 1)):
            raise BadUpload("the committed parts are not numbered 1, 2, 3... without gap")
        return [PartRef(part_number=number, etag=md5) for number, _o, _b, _s, md5 in rows]

    def assemble(self, upload_id: str, parts: list[PartRef], size: int) -> bytes:
        """The parts joined in order, after checking every ETag and the total size."""
        numbers = [ref.part_number for ref in parts]
        if len(set(numbers)) != len(numbers):
            raise BadUpload("parts repeat a part number")
        kept = {row[0]: row for row in self._rows(self._checked(upload_id)) if row[1] == WHOLE}
        chunks: list[bytes] = []
        total = 0
        for ref in sorted(parts, key=lambda r: r.part_number):
            row = kept.get(ref.part_number)
            if row is None:
                raise BadUpload(f"part {ref.part_number} was never uploaded")
            if row[4] != ref.etag.strip().strip('"').lower():
                raise BadUpload(f"etag mismatch for part {ref.part_number}")
            total += row[3]
            if total > size:
                break
            data = self._read(row[2], f"part {ref.part_number}")
            if hashlib.md5(data).hexdigest() != row[4]:
                raise BadUpload(f"part {ref.part_number} changed since it was uploaded; upload it again")
            chunks.append(data)
        if total != size:
            raise BadUpload(f"parts add up to {total} bytes, expected {size}")
        return b"".join(chunks)

    def discard(self, upload_id: str) -> None:
        """Remove a session and its parts."""
        with contextlib.suppress(UploadNotFound):
            self._checked(upload_id)
            mark = self._mark
            with self.db.transaction() as cursor:
                cursor.execute(
                    f"DELETE FROM multipart_parts WHERE upload_id = {mark} RETURNING blob", (upload_id,)
                )
                blobs = [row[0] for row in cursor.fetchall()]
                cursor.execute(f"DELETE FROM multipart_sessions WHERE upload_id = {mark}", (upload_id,))
            for blob in blobs:
                self.blobs.remove(blob)

    def purge_stale(self, max_age_s: float = STALE_AFTER_S) -> int:
        """Remove sessions older than ``max_age_s``; return how many."""
        cutoff = time.time() - max_age_s
        stale = self.db.query(
            f"SELECT upload_id FROM multipart_sessions WHERE created < {self._mark}", (cutoff,)
        )
        for (upload_id,) in stale:
            self.discard(upload_id)
        return len(stale)


def part_token(secret: str, upload_id: str, part: int, size: int, md5: str, offset: int | None = None) -> str:
    """The signature that makes a part's (or a chunk's, with ``offset``) PUT URL unforgeable."""
    message = f"{upload_id}:{part}:{size}:{md5}".encode() + (b"" if offset is None else f":{offset}".encode())
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()[:32]
