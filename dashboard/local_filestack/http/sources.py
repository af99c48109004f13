"""What a processing request reads: stored handles, external URLs and storage aliases.

:func:`resolve_sources` turns the source part of a parsed path (one source, or ``[a,b]``)
into :class:`Source` values; :class:`SourceLoader` reads them -- a handle from storage, a
URL through the SSRF guard, a ``src://`` alias from its directory or bucket -- into
:class:`Loaded` values the CDN renders, stores or packs.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlsplit

from dashboard.filestack_protocol.grammar import ParsedPath, is_handle
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.ingest.receive import describe
from dashboard.local_filestack.storage.aliases import ALIAS_SCHEME, StorageAliases
from dashboard.local_filestack.storage.files import FileNotFound, StoredFile
from dashboard.local_filestack.storage.store import Storage

_URL_SCHEMES = ("http://", "https://")
_TASK_NAME = re.compile(r"^[a-z][a-z_]*$")


@dataclass(frozen=True)
class Source:
    """One source of a processing path: a stored handle, an external URL or a storage alias."""

    text: str
    handle: str | None = None
    url: str | None = None
    alias: str | None = None
    #: An API key written before a bare handle (``/cdn/APIKEY/HANDLE``).
    apikey: str | None = None


def _unknown_first_segment(first: str, api_key: str) -> ServiceError:
    """``word/HANDLE`` where ``word`` is neither a task nor the API key."""
    name = first.partition("=")[0]
    if first != api_key and _TASK_NAME.match(name):
        return ServiceError(400, f"unknown task '{name}'")
    return ServiceError(400, "invalid api key")


def resolve_source(text: str, parsed: ParsedPath, query: str, api_key: str) -> Source:
    """One source of a path. URL sources get the request's query string back (a quoted URL's
    closing quote may have landed in it); URL and alias sources need the API key first."""
    if text.startswith('"'):
        if query.endswith('"'):
            text, query = f"{text[1:]}?{query[:-1]}", ""
        else:
            raise ServiceError(400, "unterminated quoted source")
    if text.startswith(_URL_SCHEMES):
        if not parsed.apikey:
            raise ServiceError(400, "an api key must come before a url source")
        url = f"{text}?{query}" if query else text
        return Source(text=url, url=url)
    if text.startswith(ALIAS_SCHEME):
        if not parsed.apikey:
            raise ServiceError(400, "an api key must come before a storage alias source")
        return Source(text=text, alias=text)
    if "://" in text or text.startswith("["):
        raise ServiceError(400, f"unsupported source '{text.split('://', 1)[0]}://'")
    first, _, rest = text.partition("/")
    if rest and ("=" in first or not is_handle(rest.partition("/")[0])):
        raise _unknown_first_segment(first, api_key)
    if rest and is_handle(rest) and parsed.apikey is None:
        if first != api_key:
            raise _unknown_first_segment(first, api_key)
        return Source(text=rest, handle=rest, apikey=first)
    if not is_handle(text):
        raise FileNotFound(text)
    return Source(text=text, handle=text)


def resolve_sources(parsed: ParsedPath, query: str, api_key: str) -> list[Source]:
    """Every source of a path, in order."""
    if not parsed.sources:
        raise ServiceError(400, "processing path has no source")
    return [
        resolve_source(text, parsed, query if len(parsed.sources) == 1 else "", api_key)
        for text in parsed.sources
    ]


@dataclass
class Loaded:
    """Source bytes (read lazily for handles) and what is known about them."""

    source: Source
    sha256: str
    mimetype: str
    filename: str | None
    width: int | None = None
    height: int | None = None
    stored: StoredFile | None = None
    data: bytes | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class SourceLoader:
    """Reads sources: handles from storage, URLs through the SSRF guard, aliases from their place."""

    def __init__(
        self, storage: Storage, fetching: FetchOptions, aliases: StorageAliases, limits: Limits
    ) -> None:
        self.storage = storage
        self.fetching = fetching
        self.aliases = aliases
        self.limits = limits

    async def load(self, source: Source) -> Loaded:
        """What ``source`` holds (a handle's bytes are read later, by :meth:`read`)."""
        if source.handle is not None:
            stored = await asyncio.to_thread(self.storage.get, source.handle)
            return Loaded(
                source=source,
                sha256=stored.sha256,
                mimetype=stored.mimetype,
                filename=stored.filename,
                width=stored.width,
                height=stored.height,
                stored=stored,
            )
        name: str | None
        if source.alias is not None:
            read = await asyncio.to_thread(self.aliases.read, source.alias, self.fetching.max_bytes)
            data, name = read.data, read.filename
        else:
            data, _declared = await self.fetching.fetch(source.url or "")
            name = PurePosixPath(unquote(urlsplit(source.url or "").path)).name or None
        described = await describe(data, self.limits)
        return Loaded(
            source=source,
            sha256=await asyncio.to_thread(_sha256, data),
            mimetype=described.mimetype,
            filename=name,
            width=described.width,
            height=described.height,
            data=data,
        )

    async def read(self, loaded: Loaded) -> bytes:
        """The bytes of a loaded source; 503 when a stored file changed while it was read."""
        if loaded.data is not None:
            return loaded.data
        data, digest = await asyncio.to_thread(self._read_hashed, loaded.source.handle or "")
        if digest != loaded.sha256:
            raise ServiceError(503, "the file changed while it was being read; retry")
        return data

    def _read_hashed(self, handle: str) -> tuple[bytes, str]:
        """The stored bytes and their sha256, together off the event loop (hashing 25 MB takes ~40 ms)."""
        data = self.storage.read(handle)
        return data, hashlib.sha256(data).hexdigest()

    async def read_handle(self, handle: str) -> bytes:
        """The bytes of a stored file named by a task parameter (a watermark, a collage's files)."""
        if not is_handle(handle):
            raise ServiceError(400, f"'{handle}' is not a file handle")
        await asyncio.to_thread(self.storage.quarantine.check, handle)
        return await asyncio.to_thread(self.storage.read, handle)
