"""Storage aliases: ``src://ALIAS/PATH`` sources read from a configured local directory or bucket.

``STORAGE_ALIASES`` names each alias's place, as JSON::

    {"photos": "file:///srv/photos", "archive": "s3://my-bucket/some/prefix"}

A path is a key inside that place and can never leave it: ``..``, absolute paths, NUL bytes
and symbolic links pointing outside the directory are refused. Buckets are reached with
boto3 (the ``scale`` extra) at ``S3_ENDPOINT_URL`` with the usual AWS credentials.
Aliases are read-only.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from dashboard.local_filestack.config.deployment import DeploymentSettings

ALIAS_SCHEME = "src://"


class AliasError(Exception):
    """A ``src://`` source that cannot be read; ``status`` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class AliasFile:
    """The bytes behind a ``src://`` source and its file name."""

    data: bytes
    filename: str


@dataclass(frozen=True)
class AliasSource:
    """A parsed ``src://ALIAS/PATH``."""

    alias: str
    key: str

    @classmethod
    def parse(cls, source: str) -> AliasSource:
        """Split ``src://ALIAS/PATH``; :class:`AliasError` when it is not one or the path is unsafe."""
        if not source.startswith(ALIAS_SCHEME):
            raise AliasError(f"{source!r} is not a src:// storage alias")
        alias, _, key = source[len(ALIAS_SCHEME) :].partition("/")
        key = unquote(key)
        parts = PurePosixPath(key).parts
        if not alias or not key or key.startswith("/") or "\x00" in key or ".." in parts or "\\" in key:
            raise AliasError(f"storage alias source {source!r} needs src://ALIAS/PATH with a relative path")
        return cls(alias=alias, key=key)


class StorageAliases:
    """The configured aliases; :meth:`read` returns the bytes of a ``src://`` source."""

    def __init__(
        self, aliases: Mapping[str, str], *, s3_endpoint_url: str | None = None, s3_region: str = "us-east-1"
    ) -> None:
        self._places: dict[str, tuple[str, str, str]] = {}
        for alias, target in aliases.items():
            parts = urlsplit(target)
            if parts.scheme == "file":
                self._places[alias] = ("file", unquote(parts.netloc + parts.path), "")
            elif parts.scheme == "s3" and parts.netloc:
                prefix = parts.path.strip("/")
                self._places[alias] = ("s3", parts.netloc, f"{prefix}/" if prefix else "")
            else:
                raise AliasError(
                    f"storage alias {alias!r}: {target!r} is not a file:// directory or s3:// bucket"
                )
        self.s3_endpoint_url = s3_endpoint_url
        self.s3_region = s3_region
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def names(self) -> list[str]:
        """The configured alias names."""
        return sorted(self._places)

    def read(self, source: str, max_bytes: int) -> AliasFile:
        """The file behind ``src://ALIAS/PATH`` (blocking I/O); :class:`AliasError` when it cannot be read."""
        parsed = AliasSource.parse(source)
        if not self._places:
            raise AliasError("storage aliases are not configured")
        place = self._places.get(parsed.alias)
        if place is None:
            raise AliasError(f"storage alias '{parsed.alias}' is not configured", status=404)
        kind, where, prefix = place
        name = PurePosixPath(parsed.key).name
        if kind == "file":
            return AliasFile(self._read_file(Path(where), parsed, max_bytes), name)
        return AliasFile(self._read_object(where, prefix + parsed.key, parsed, max_bytes), name)

    def _read_file(self, root: Path, parsed: AliasSource, max_bytes: int) -> bytes:
        base = root.resolve()
        target = (base / parsed.key).resolve()
        if not target.is_relative_to(base):
            raise AliasError(f"src://{parsed.alias}/{parsed.key} leaves the alias's directory")
        try:
            size = target.stat().st_size
            if not target.is_file():
                raise AliasError(f"src://{parsed.alias}/{parsed.key} is not a file", status=404)
            if size > max_bytes:
                raise AliasError(
                    f"src://{parsed.alias}/{parsed.key} is larger than the {max_bytes}-byte limit", 413
                )
            return target.read_bytes()
        except FileNotFoundError as err:
            raise AliasError(f"src://{parsed.alias}/{parsed.key} does not exist", status=404) from err

    def _s3(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    import boto3
                except ImportError as err:
                    raise AliasError(
                        "s3:// storage aliases need boto3: install the scale extra", status=503
                    ) from err
                self._client = boto3.session.Session().client(
                    "s3", endpoint_url=self.s3_endpoint_url, region_name=self.s3_region
                )
            return self._client

    def _read_object(self, bucket: str, key: str, parsed: AliasSource, max_bytes: int) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        client = self._s3()
        try:
            answer = client.get_object(Bucket=bucket, Key=key)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404", "NotFound"):
                raise AliasError(f"src://{parsed.alias}/{parsed.key} does not exist", status=404) from err
            raise AliasError(f"src://{parsed.alias}/{parsed.key} cannot be read: {code}", status=502) from err
        except BotoCoreError as err:
            raise AliasError(
                f"the bucket of alias '{parsed.alias}' cannot be reached: {err}", status=502
            ) from err
        if int(answer.get("ContentLength") or 0) > max_bytes:
            raise AliasError(
                f"src://{parsed.alias}/{parsed.key} is larger than the {max_bytes}-byte limit", 413
            )
        body: bytes = answer["Body"].read(max_bytes + 1)
        if len(body) > max_bytes:
            raise AliasError(
                f"src://{parsed.alias}/{parsed.key} is larger than the {max_bytes}-byte limit", 413
            )
        return body


def open_aliases(aliases: Mapping[str, str], deployment: DeploymentSettings) -> StorageAliases:
    """The aliases of ``STORAGE_ALIASES``, buckets reached as the deployment's object storage is."""
    return StorageAliases(aliases, s3_endpoint_url=deployment.s3_endpoint_url, s3_region=deployment.s3_region)
