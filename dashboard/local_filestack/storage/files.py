"""Stored files as values: a file's record, a new file to store, handles, names, keys and the errors.

A handle is 20 characters of ``[A-Za-z0-9_-]`` (the grammar's one rule, :func:`is_handle`); no
name a client gives ever reaches the file system: the bytes are stored by handle, the file
name is display metadata, ``path`` and ``container`` only shape the key string.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

from pydantic import BaseModel

from dashboard.filestack_protocol.grammar import is_handle

HANDLE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
HANDLE_LENGTH = 20
DEFAULT_CONTAINER = "local-filestack"
DEFAULT_FILENAME = "untitled"
_MAX_FILENAME_CHARS = 255
#: Extensions for types whose ``mimetypes`` guess is missing or not the usual one.
_EXTENSIONS: dict[str, str] = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "image/tiff": ".tiff",
    "image/avif": ".avif",
    "image/heic": ".heic",
    "image/svg+xml": ".svg",
    "text/plain": ".txt",
}

__all__ = [
    "DEFAULT_FILENAME",
    "FileNotFound",
    "HandleInUse",
    "NewFile",
    "StorageFull",
    "StoredFile",
    "is_handle",
    "new_handle",
    "rendition_filename",
    "sanitize_filename",
    "storage_key",
]


class StoredFile(BaseModel):
    """One stored file's metadata. ``uploaded`` is a Unix time in seconds."""

    handle: str
    filename: str
    mimetype: str
    size: int
    key: str
    container: str
    location: str = "S3"
    path: str | None = None
    uploaded: float
    width: int | None = None
    height: int | None = None
    md5: str
    sha256: str
    access: str = "private"


class FileNotFound(Exception):
    """No file with this handle."""


class StorageFull(Exception):
    """The disk has no room for the file (or for its record)."""


class QuotaExceeded(StorageFull):
    """Storing the file would take the API key's files past its storage quota."""

    def __init__(self, size: int, used: int, quota: int) -> None:
        super().__init__(
            f"storage quota reached: {used} of {quota} bytes are in use, "
            f"no room for a {size}-byte file; delete files to make room"
        )
        self.size, self.used, self.quota = size, used, quota


class FileOverQuota(QuotaExceeded):
    """One file alone is larger than the whole storage quota."""

    def __init__(self, size: int, used: int, quota: int) -> None:
        StorageFull.__init__(self, f"file of {size} bytes is larger than the {quota}-byte storage quota")
        self.size, self.used, self.quota = size, used, quota


class HandleInUse(ValueError):
    """A file was put under a chosen handle that another file already has."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"handle {handle!r} is already in use")
        self.handle = handle


def new_handle() -> str:
    """A fresh 20-character handle of ``[A-Za-z0-9_-]``."""
    return "".join(secrets.choice(HANDLE_ALPHABET) for _ in range(HANDLE_LENGTH))


def sanitize_filename(name: str | None) -> str:
    """A display filename: no directories, no control characters, unicode kept."""
    if not name:
        return DEFAULT_FILENAME
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if cleaned in {"", ".", ".."}:
        return DEFAULT_FILENAME
    return cleaned[:_MAX_FILENAME_CHARS]


def rendition_filename(original: str | None, mimetype: str) -> str:
    """The name of a file made from another: the original's stem (``file`` without one), the new type's extension."""
    stem = PurePosixPath(original).stem if original else ""
    extension = _EXTENSIONS.get(mimetype) or mimetypes.guess_extension(mimetype) or ""
    return f"{stem or 'file'}{extension}"


def storage_key(handle: str, filename: str, path: str | None) -> str:
    """The object key as Filestack builds it.

    No path: ``<handle>_<filename>``; a path ending in ``/`` is a folder
    (``path + handle + "_" + filename``); any other path is the full key.
    """
    if not path:
        return f"{handle}_{filename}"
    path = path.lstrip("/")
    if path.endswith("/"):
        return f"{path}{handle}_{filename}"
    return path


@dataclass(frozen=True)
class NewFile:
    """A file about to be stored: its bytes, what they are, and where Filestack would put them."""

    data: bytes
    filename: str
    mimetype: str
    width: int | None = None
    height: int | None = None
    location: str = "S3"
    path: str | None = None
    container: str | None = None
    access: str = "private"

    def record(self, handle: str | None = None) -> StoredFile:
        """The metadata it is stored with: a fresh (or checked) handle, a clean name, its key and hashes."""
        if handle is None:
            handle = new_handle()
        elif not is_handle(handle):
            raise ValueError(f"invalid handle {handle!r}")
        name = sanitize_filename(self.filename)
        return StoredFile(
            handle=handle,
            filename=name,
            mimetype=self.mimetype,
            size=len(self.data),
            key=storage_key(handle, name, self.path),
            container=self.container or DEFAULT_CONTAINER,
            location=self.location,
            path=self.path,
            uploaded=time.time(),
            width=self.width,
            height=self.height,
            md5=hashlib.md5(self.data).hexdigest(),
            sha256=hashlib.sha256(self.data).hexdigest(),
            access=self.access,
        )

    def replacing(self, current: StoredFile) -> StoredFile:
        """``current`` with these bytes: same handle, name and key; new type, size, dimensions and hashes."""
        return current.model_copy(
            update={
                "mimetype": self.mimetype,
                "size": len(self.data),
                "width": self.width,
                "height": self.height,
                "md5": hashlib.md5(self.data).hexdigest(),
                "sha256": hashlib.sha256(self.data).hexdigest(),
                "uploaded": time.time(),
            }
        )
