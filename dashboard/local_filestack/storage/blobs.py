"""Where file bytes live, by blob name: a local directory or an S3-compatible bucket.

A blob name is written once and never changed: every write of a file gets a new
name (``<handle>.<random hex>``), so two writers of the same handle (a task run twice)
never mix their bytes. Files of data dirs from before that rule keep their bytes under
the bare handle, a name read and removed like any other. Both stores make a blob
readable only when whole -- a local write is an :func:`atomic_write`, an S3
``PutObject`` is atomic.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from dashboard.local_filestack.storage.atomic import atomic_write

_BLOB_NAME = re.compile(r"^[A-Za-z0-9_-]{20}(\.[0-9a-f]{12,32})?$")


class BlobMissing(LookupError):
    """No blob by this name."""


class ObjectStoreUnavailable(RuntimeError):
    """boto3 is not installed (``pip install -e .[scale]``) or the bucket cannot be used."""


@runtime_checkable
class BlobStore(Protocol):
    """Immutable blobs by name."""

    def write(self, name: str, data: bytes) -> None:
        """Store ``data`` under ``name`` (readable only once whole)."""
        ...

    def read(self, name: str) -> bytes:
        """The bytes of ``name``; :class:`BlobMissing` if there are none."""
        ...

    def remove(self, name: str) -> None:
        """Remove ``name`` (no error if it is already gone)."""
        ...


def blob_name(handle: str) -> str:
    """A new, never used name for bytes of ``handle``."""
    return f"{handle}.{secrets.token_hex(8)}"


def _checked(name: str) -> str:
    if not _BLOB_NAME.match(name):
        raise ValueError(f"invalid blob name {name!r}")
    return name


class LocalBlobs:
    """Blobs as files in one directory (which several processes of one machine may share)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes) -> None:
        atomic_write(self.directory / _checked(name), data)

    def read(self, name: str) -> bytes:
        try:
            return (self.directory / _checked(name)).read_bytes()
        except FileNotFoundError as err:
            raise BlobMissing(name) from err

    def remove(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            (self.directory / _checked(name)).unlink()


class S3Blobs:
    """Blobs as objects of one bucket of any S3-compatible store (boto3).

    ``endpoint_url`` points at a store other than AWS (MinIO, Ceph, R2, a stand-in);
    credentials come from boto3's usual sources. The bucket is created when missing.
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        prefix: str = "files/",
    ) -> None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError as exc:
            raise ObjectStoreUnavailable(
                "S3 storage needs boto3: install the scale extra (pip install -e '.[scale]')"
            ) from exc
        self.bucket = bucket
        self.prefix = prefix
        self._lock = threading.Lock()
        #: Requests sent to the store, for the benchmarks.
        self.requests = 0
        config = Config(
            retries={"max_attempts": 5, "mode": "standard"},
            max_pool_connections=32,
            s3={"addressing_style": "path"} if endpoint_url else {},
        )
        self._make_client = lambda: boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, region_name=region, config=config
        )
        self._pid = os.getpid()
        self._s3 = self._make_client()
        self._errors = self._s3.exceptions
        self._ensure_bucket()

    @property
    def _client(self) -> Any:
        """The boto3 client of this process (one made before a fork is not reused after it)."""
        with self._lock:
            if self._pid != os.getpid():
                self._s3, self._pid = self._make_client(), os.getpid()
            return self._s3

    def _count(self) -> None:
        with self._lock:
            self.requests += 1

    def _ensure_bucket(self) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._count()
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as err:
            if err.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
                raise ObjectStoreUnavailable(f"bucket {self.bucket!r} cannot be used: {err}") from err
        except BotoCoreError as err:
            raise ObjectStoreUnavailable(f"the object store cannot be reached: {err}") from err
        try:
            self._count()
            self._client.create_bucket(Bucket=self.bucket)
        except (self._errors.BucketAlreadyOwnedByYou, self._errors.BucketAlreadyExists):
            pass

    def write(self, name: str, data: bytes) -> None:
        self._count()
        self._client.put_object(Bucket=self.bucket, Key=self.prefix + _checked(name), Body=data)

    def read(self, name: str) -> bytes:
        self._count()
        try:
            answer = self._client.get_object(Bucket=self.bucket, Key=self.prefix + _checked(name))
        except self._errors.NoSuchKey as err:
            raise BlobMissing(name) from err
        body: bytes = answer["Body"].read()
        return body

    def remove(self, name: str) -> None:
        self._count()
        self._client.delete_object(Bucket=self.bucket, Key=self.prefix + _checked(name))
