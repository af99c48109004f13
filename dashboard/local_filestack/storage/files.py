"""Stored files: the :class:`Storage` interface and :class:`FileStorage`, blobs on disk, metadata in SQLite.

Other implementations (S3-compatible object storage, metadata in PostgreSQL) live in
:mod:`dashboard.local_filestack.storage.indexed` and keep the same promise: a file is
visible only when whole, and a handle is never served once its removal has begun.

Blobs live under ``data_dir/files/`` named by handle only, so no user-supplied name
ever reaches the file system. Every write goes to a temp file in the same directory,
is fsynced and then renamed into place; the metadata row is written only after the
blob is in place, so a file is never listed before its bytes are complete. Deleting
removes the row first, so a handle is never served once its removal has begun.

All methods are synchronous and thread-safe (one SQLite connection per thread).
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import secrets
import sqlite3
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Protocol, runtime_checkable

from pydantic import BaseModel

HANDLE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
HANDLE_LENGTH = 20
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_-]{20}$")
DEFAULT_CONTAINER = "local-filestack"
DEFAULT_FILENAME = "untitled"
_MAX_FILENAME_CHARS = 255

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    handle    TEXT PRIMARY KEY,
    filename  TEXT NOT NULL,
    mimetype  TEXT NOT NULL,
    size      INTEGER NOT NULL,
    key       TEXT NOT NULL,
    container TEXT NOT NULL,
    location  TEXT NOT NULL,
    path      TEXT,
    uploaded  REAL NOT NULL,
    width     INTEGER,
    height    INTEGER,
    md5       TEXT NOT NULL,
    sha256    TEXT NOT NULL,
    access    TEXT NOT NULL
)
"""
_COLUMNS = (
    "handle", "filename", "mimetype", "size", "key", "container", "location", "path",
    "uploaded", "width", "height", "md5", "sha256", "access",
)


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
    """The disk has no room for the file."""


class HandleInUse(ValueError):
    """A file was put under a chosen handle that another file already has."""

    def __init__(self, handle: str) -> None:
        super().__init__(f"handle {handle!r} is already in use")
        self.handle = handle


def new_handle() -> str:
    """A fresh 20-character handle of ``[A-Za-z0-9_-]``."""
    return "".join(secrets.choice(HANDLE_ALPHABET) for _ in range(HANDLE_LENGTH))


def is_valid_handle(handle: str) -> bool:
    """True when ``handle`` has the shape of a handle."""
    return bool(_HANDLE_RE.match(handle))


def sanitize_filename(name: str | None) -> str:
    """A display filename: no directories, no control characters, unicode kept."""
    if not name:
        return DEFAULT_FILENAME
    base = re.split(r"[\\/]", name)[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip()
    if cleaned in {"", ".", ".."}:
        return DEFAULT_FILENAME
    return cleaned[:_MAX_FILENAME_CHARS]


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


def new_record(
    data: bytes,
    *,
    handle: str | None,
    filename: str,
    mimetype: str,
    path: str | None,
    container: str | None,
    location: str,
    access: str,
    width: int | None,
    height: int | None,
) -> StoredFile:
    """The metadata of a new file: a fresh (or checked) handle, a clean name, its key and hashes."""
    if handle is None:
        handle = new_handle()
    elif not is_valid_handle(handle):
        raise ValueError(f"invalid handle {handle!r}")
    name = sanitize_filename(filename)
    return StoredFile(
        handle=handle,
        filename=name,
        mimetype=mimetype,
        size=len(data),
        key=storage_key(handle, name, path),
        container=container or DEFAULT_CONTAINER,
        location=location,
        path=path,
        uploaded=time.time(),
        width=width,
        height=height,
        md5=hashlib.md5(data).hexdigest(),
        sha256=hashlib.sha256(data).hexdigest(),
        access=access,
    )


@runtime_checkable
class Storage(Protocol):
    """Stored files by handle. Synchronous and thread-safe; callers use ``asyncio.to_thread``."""

    def get(self, handle: str) -> StoredFile:
        """The metadata of ``handle``; raises :class:`FileNotFound`."""
        ...

    def read(self, handle: str) -> bytes:
        """The bytes of ``handle``; raises :class:`FileNotFound`."""
        ...

    def put(
        self,
        data: bytes,
        *,
        filename: str,
        mimetype: str,
        path: str | None = None,
        container: str | None = None,
        location: str = "S3",
        access: str = "private",
        width: int | None = None,
        height: int | None = None,
        handle: str | None = None,
    ) -> StoredFile:
        """Store ``data`` as a new file (under ``handle`` if given: :class:`HandleInUse` if taken)."""
        ...

    def overwrite(
        self, handle: str, data: bytes, mimetype: str, width: int | None, height: int | None
    ) -> StoredFile:
        """Replace the bytes of an existing file, keeping its handle, name and key."""
        ...

    def delete(self, handle: str) -> bool:
        """Remove a file; ``True`` if it existed (so of concurrent deletes, exactly one is ``True``)."""
        ...


class FileStorage:
    """Files by handle under ``data_dir/files``, metadata in ``data_dir/metadata.sqlite3``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.files_dir.mkdir(parents=True, exist_ok=True)
        self.db_path = self.data_dir / "metadata.sqlite3"
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(_SCHEMA)

    # -- connections -------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.db_path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
        return conn

    # -- reading -----------------------------------------------------------

    def blob_path(self, handle: str) -> Path:
        """Where the bytes of ``handle`` live (raises FileNotFound for a malformed handle)."""
        if not is_valid_handle(handle):
            raise FileNotFound(handle)
        return self.files_dir / handle

    def get(self, handle: str) -> StoredFile:
        """The metadata of ``handle``; raises FileNotFound."""
        if not is_valid_handle(handle):
            raise FileNotFound(handle)
        row = self._connect().execute(
            f"SELECT {', '.join(_COLUMNS)} FROM files WHERE handle = ?", (handle,)
        ).fetchone()
        if row is None:
            raise FileNotFound(handle)
        return StoredFile(**dict(zip(_COLUMNS, row)))

    def read(self, handle: str) -> bytes:
        """The bytes of ``handle``; raises FileNotFound."""
        self.get(handle)
        try:
            return self.blob_path(handle).read_bytes()
        except FileNotFoundError as err:
            raise FileNotFound(handle) from err

    # -- writing -----------------------------------------------------------

    def put(
        self,
        data: bytes,
        *,
        filename: str,
        mimetype: str,
        path: str | None = None,
        container: str | None = None,
        location: str = "S3",
        access: str = "private",
        width: int | None = None,
        height: int | None = None,
        handle: str | None = None,
    ) -> StoredFile:
        """Store ``data`` as a new file and return its metadata.

        ``handle`` may be chosen by the caller (it must be unused); otherwise one is made.
        """
        record = new_record(
            data, handle=handle, filename=filename, mimetype=mimetype, path=path, container=container,
            location=location, access=access, width=width, height=height,
        )
        handle = record.handle
        temp = self._write_temp(data)
        with self._write_lock:
            if self._exists(handle):
                os.unlink(temp)
                raise HandleInUse(handle)
            self._install(temp, handle)
            values = record.model_dump()
            try:
                self._connect().execute(
                    f"INSERT INTO files ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})",
                    tuple(values[c] for c in _COLUMNS),
                )
            except sqlite3.Error as err:
                _remove_quietly(str(self.files_dir / handle))  # no blob without its row
                if _is_disk_full(err):
                    raise StorageFull(
                        f"no space left on the storage disk for the record of a {len(data)}-byte file"
                    ) from err
                raise
        return record

    def overwrite(
        self, handle: str, data: bytes, mimetype: str, width: int | None, height: int | None
    ) -> StoredFile:
        """Replace the bytes of an existing file, keeping its handle, name and key."""
        self.get(handle)
        temp = self._write_temp(data)
        with self._write_lock:
            if not self._exists(handle):
                os.unlink(temp)
                raise FileNotFound(handle)
            self._install(temp, handle)
            self._connect().execute(
                "UPDATE files SET mimetype = ?, size = ?, width = ?, height = ?, md5 = ?, sha256 = ?,"
                " uploaded = ? WHERE handle = ?",
                (
                    mimetype,
                    len(data),
                    width,
                    height,
                    hashlib.md5(data).hexdigest(),
                    hashlib.sha256(data).hexdigest(),
                    time.time(),
                    handle,
                ),
            )
        return self.get(handle)

    def delete(self, handle: str) -> bool:
        """Remove a file; True if it existed."""
        if not is_valid_handle(handle):
            return False
        with self._write_lock:
            cursor = self._connect().execute("DELETE FROM files WHERE handle = ?", (handle,))
            existed = cursor.rowcount > 0
            try:
                (self.files_dir / handle).unlink()
            except FileNotFoundError:
                pass
        return existed

    # -- helpers -----------------------------------------------------------

    def _exists(self, handle: str) -> bool:
        row = self._connect().execute("SELECT 1 FROM files WHERE handle = ?", (handle,)).fetchone()
        return row is not None

    def _write_temp(self, data: bytes) -> str:
        """Write ``data`` to a fsynced temp file next to the blobs; return its path."""
        fd, temp = tempfile.mkstemp(dir=self.files_dir, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
        except OSError as err:
            _remove_quietly(temp)
            if err.errno in (errno.ENOSPC, errno.EDQUOT):
                raise StorageFull(
                    f"no space left on the storage disk for a {len(data)}-byte file"
                ) from err
            raise
        return temp

    def _install(self, temp: str, handle: str) -> None:
        """Rename a finished temp file onto the blob path and make the rename durable."""
        try:
            os.replace(temp, self.files_dir / handle)
        except OSError:
            _remove_quietly(temp)
            raise
        dir_fd = os.open(self.files_dir, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _is_disk_full(err: sqlite3.Error) -> bool:
    """True when SQLite failed because the disk (or its quota) is full."""
    return getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL or "disk is full" in str(err)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
