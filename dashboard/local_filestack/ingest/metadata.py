"""How stored files are described to clients: their URL, metadata answers, store answers."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from dashboard.local_filestack.imaging import exif_tags
from dashboard.local_filestack.storage.files import StoredFile
from dashboard.local_filestack.storage.store import Storage

#: Where the CDN host is mounted; a stored file's URL is ``BASE/cdn/HANDLE``.
CDN_PREFIX = "/cdn"

#: The fields returned when no flag is asked for.
DEFAULT_FIELDS: tuple[str, ...] = (
    "size",
    "mimetype",
    "filename",
    "uploaded",
    "writeable",
    "location",
    "path",
    "container",
    "key",
)
_EXTRA_HASHES: tuple[str, ...] = ("sha1", "sha224", "sha384", "sha512")
#: Every flag the service answers.
KNOWN_FLAGS: frozenset[str] = frozenset(
    DEFAULT_FIELDS + ("width", "height", "md5", "sha256", "cloud", "source_url", "exif") + _EXTRA_HASHES
)


def requested_fields(query: Mapping[str, str]) -> list[str]:
    """The flags set to ``true``, in the service's order, or the default set."""
    asked = {name for name, value in query.items() if value.lower() == "true" and name in KNOWN_FLAGS}
    if not asked:
        return list(DEFAULT_FIELDS)
    order = list(DEFAULT_FIELDS) + sorted(KNOWN_FLAGS - set(DEFAULT_FIELDS))
    return [name for name in order if name in asked]


def build_metadata(stored: StoredFile, fields: list[str], storage: Storage) -> dict[str, Any]:
    """The asked fields of a file (blocking: extra hashes and ``exif`` read the blob).

    ``exif`` needs a policy allowing the ``exif`` call; the caller checks it."""
    values: dict[str, Any] = {
        "size": stored.size,
        "mimetype": stored.mimetype,
        "filename": stored.filename,
        "uploaded": stored.uploaded * 1000.0,
        "writeable": True,
        "location": stored.location,
        "path": stored.path,
        "container": stored.container,
        "key": stored.key,
        "width": stored.width,
        "height": stored.height,
        "md5": stored.md5,
        "sha256": stored.sha256,
        "cloud": False,
        "source_url": None,
    }
    wanted_hashes = [name for name in fields if name in _EXTRA_HASHES]
    if wanted_hashes or "exif" in fields:
        data = storage.read(stored.handle)
        for name in wanted_hashes:
            values[name] = hashlib.new(name, data).hexdigest()
        if "exif" in fields:
            values["exif"] = exif_tags(data)
    return {name: values[name] for name in fields}


def cdn_file_url(cdn_base: str, handle: str) -> str:
    """The URL of a stored file on the CDN whose public base is ``cdn_base``."""
    return f"{cdn_base.rstrip('/')}/{handle}"


def file_url(base: str, handle: str) -> str:
    """The CDN URL of a stored file, ``base`` being where the service's mounts live."""
    return cdn_file_url(f"{base}{CDN_PREFIX}", handle)


def store_result(stored: StoredFile, url: str) -> dict[str, Any]:
    """The JSON Filestack answers a store with (simple store and the ``store`` task)."""
    return {
        "url": url,
        "handle": stored.handle,
        "size": stored.size,
        "type": stored.mimetype,
        "filename": stored.filename,
        "key": stored.key,
        "container": stored.container,
        "width": stored.width,
        "height": stored.height,
    }
