"""Stored files on shared parts: blobs in a :class:`~dashboard.local_filestack.storage.blobs.BlobStore`
(an S3-compatible bucket or a directory), records in a
:class:`~dashboard.local_filestack.storage.index.FileIndex` (PostgreSQL or SQLite).

The promise is the single-machine storage's: a file is visible only when whole (its
bytes are written under a fresh blob name first, its record only then), and a handle
is never served once its removal has begun (the record goes first, the bytes after).
Every write uses a new blob name, so two workers writing the same handle (a task
delivered twice) never overwrite each other: one record wins and the loser removes
its own blob.
"""

from __future__ import annotations

import hashlib
import secrets
import time

from dashboard.local_filestack.storage.blobs import BlobMissing, BlobStore
from dashboard.local_filestack.storage.index import FileIndex
from dashboard.local_filestack.storage.files import (
    FileNotFound,
    HandleInUse,
    StoredFile,
    is_valid_handle,
    new_record,
)


def _blob_name(handle: str) -> str:
    return f"{handle}.{secrets.token_hex(8)}"


class IndexedStorage:
    """:class:`~dashboard.local_filestack.storage.files.Storage` on a blob store plus a file index."""

    def __init__(self, blobs: BlobStore, index: FileIndex) -> None:
        self.blobs = blobs
        self.index = index

    def get(self, handle: str) -> StoredFile:
        if not is_valid_handle(handle):
            raise FileNotFound(handle)
        found = self.index.get(handle)
        if found is None:
            raise FileNotFound(handle)
        return found[0]

    def read(self, handle: str) -> bytes:
        if not is_valid_handle(handle):
            raise FileNotFound(handle)
        for _attempt in range(2):  # an overwrite may swap the blob between the two reads
            found = self.index.get(handle)
            if found is None:
                raise FileNotFound(handle)
            try:
                return self.blobs.read(found[1])
            except BlobMissing:
                continue
        raise FileNotFound(handle)

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
        if handle is not None and self.index.get(handle) is not None:
            raise HandleInUse(handle)
        record = new_record(
            data, handle=handle, filename=filename, mimetype=mimetype, path=path, container=container,
            location=location, access=access, width=width, height=height,
        )
        handle = record.handle
        blob = _blob_name(handle)
        self.blobs.write(blob, data)
        if not self.index.insert(record, blob):
            self.blobs.remove(blob)
            raise HandleInUse(handle)
        return record

    def overwrite(
        self, handle: str, data: bytes, mimetype: str, width: int | None, height: int | None
    ) -> StoredFile:
        current = self.get(handle)
        record = current.model_copy(
            update={
                "mimetype": mimetype,
                "size": len(data),
                "width": width,
                "height": height,
                "md5": hashlib.md5(data).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
                "uploaded": time.time(),
            }
        )
        blob = _blob_name(handle)
        self.blobs.write(blob, data)
        old = self.index.replace(record, blob)
        if old is None:
            self.blobs.remove(blob)
            raise FileNotFound(handle)
        self.blobs.remove(old)
        return record

    def delete(self, handle: str) -> bool:
        if not is_valid_handle(handle):
            return False
        blob = self.index.delete(handle)
        if blob is None:
            return False
        self.blobs.remove(blob)
        return True

    def close(self) -> None:
        """Release the index's connections."""
        self.index.close()
