"""The one file storage of every mode: bytes in a :class:`~.blobs.BlobStore`, records in a :class:`~.index.FileIndex`.

On one machine the blobs are files of ``DATA_DIR/files`` and the records rows of
``DATA_DIR/metadata.sqlite3``; distributed, the blobs are objects of an S3-compatible bucket
and the records rows of PostgreSQL. The code is the same, and so is the promise:

* a file is visible only when whole: its bytes are written under a fresh blob name first
  (atomically), its record only then;
* a handle is never served once its removal has begun: the record goes first, the bytes after;
* every write uses a new blob name, so two workers writing one handle (a task delivered twice)
  never overwrite each other: one record wins and the loser removes its own blob;
* with a quota (``STORAGE_QUOTA_BYTES``; the service has one API key, so it bounds all its
  files), a write that would pass it is refused before any byte is written. The check and the
  write are not one transaction: writes racing at the edge may pass it by their own sizes.

All methods are synchronous and thread-safe; callers on an event loop use ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging

from dashboard.local_filestack.storage.blobs import BlobMissing, BlobStore, blob_name
from dashboard.local_filestack.storage.files import (
    FileNotFound,
    FileOverQuota,
    HandleInUse,
    NewFile,
    QuotaExceeded,
    StorageFull,
    StoredFile,
    is_handle,
)
from dashboard.local_filestack.storage.index import FileIndex
from dashboard.local_filestack.storage.quarantine import Quarantine

logger = logging.getLogger(__name__)


class Storage:
    """Stored files by handle, and the ones held in quarantine (:attr:`quarantine`)."""

    def __init__(self, blobs: BlobStore, index: FileIndex, *, quota_bytes: int | None = None) -> None:
        self.blobs = blobs
        self.index = index
        self.quarantine = Quarantine(index.db)
        self.quota_bytes = quota_bytes

    def check_quota(self, size: int, *, replacing: int = 0) -> None:
        """Refuse a ``size``-byte write (in place of ``replacing`` bytes) that would pass the quota:
        :class:`FileOverQuota` when the file alone is larger, else :class:`QuotaExceeded`."""
        quota = self.quota_bytes
        if quota is None:
            return
        if size > quota:
            raise FileOverQuota(size, self.index.total_bytes(), quota)
        used = self.index.total_bytes()
        if used - replacing + size > quota:
            raise QuotaExceeded(size, used, quota)

    def get(self, handle: str) -> StoredFile:
        """The metadata of ``handle``; :class:`FileNotFound` if there is none."""
        if not is_handle(handle):
            raise FileNotFound(handle)
        found = self.index.get(handle)
        if found is None:
            raise FileNotFound(handle)
        return found[0]

    def read(self, handle: str) -> bytes:
        """The bytes of ``handle``; :class:`FileNotFound` if there are none."""
        if not is_handle(handle):
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

    def put(self, new: NewFile, *, handle: str | None = None) -> StoredFile:
        """Store ``new`` under a fresh handle, or under ``handle`` (:class:`HandleInUse` if it is taken)."""
        if handle is not None and self.index.get(handle) is not None:
            raise HandleInUse(handle)
        self.check_quota(len(new.data))
        record = new.record(handle)
        blob = blob_name(record.handle)
        self.blobs.write(blob, new.data)
        try:
            inserted = self.index.insert(record, blob)
        except StorageFull as exc:
            self.blobs.remove(blob)  # no bytes without their record
            raise StorageFull(
                f"no space left on the storage disk for the record of a {len(new.data)}-byte file"
            ) from exc
        except BaseException:
            self.blobs.remove(blob)
            raise
        if not inserted:
            self.blobs.remove(blob)
            raise HandleInUse(record.handle)
        return record

    def overwrite(self, handle: str, new: NewFile) -> StoredFile:
        """Replace the bytes of an existing file, keeping its handle, name and key.

        Whatever fails, the record and the bytes stay a pair: the old record with the old bytes,
        or (when the new record was committed and only the answer was lost) the new with the new.
        """
        found = self.index.get(handle) if is_handle(handle) else None
        if found is None:
            raise FileNotFound(handle)
        current, current_blob = found
        self.check_quota(len(new.data), replacing=current.size)
        record = new.replacing(current)
        blob = blob_name(handle)
        self.blobs.write(blob, new.data)
        try:
            old = self.index.replace(record, blob)
        except Exception as exc:
            landed = self._record_points_at(handle, blob)
            if landed:  # committed, then the error: the new pair stands
                self.blobs.remove(current_blob)
                return record
            if landed is False:
                self.blobs.remove(blob)
            # landed is None: the record cannot be read, so the new bytes stay (never served
            # without their record) rather than risk a record without bytes
            if isinstance(exc, StorageFull):
                raise StorageFull(
                    f"no space left on the storage disk for the record of a {len(new.data)}-byte file"
                ) from exc
            raise
        except BaseException:
            self.blobs.remove(blob)
            raise
        if old is None:
            self.blobs.remove(blob)
            raise FileNotFound(handle)
        self.blobs.remove(old)
        return record

    def _record_points_at(self, handle: str, blob: str) -> bool | None:
        """Whether the record of ``handle`` names ``blob`` now (``None``: the index cannot say)."""
        try:
            found = self.index.get(handle)
        except Exception:  # the database is away too
            logger.warning("cannot tell whether the overwrite of %s was recorded", handle, exc_info=True)
            return None
        return found is not None and found[1] == blob

    def delete(self, handle: str) -> bool:
        """Remove a file; ``True`` if it existed (so of concurrent deletes, exactly one is ``True``)."""
        if not is_handle(handle):
            return False
        blob = self.index.delete(handle)
        if blob is None:
            return False
        self.blobs.remove(blob)
        self.quarantine.release(handle)
        return True

    def close(self) -> None:
        """Release the index's connections."""
        self.index.close()
