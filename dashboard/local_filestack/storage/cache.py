"""Transformed results on disk, computed once per distinct request.

A result's key is the sha256 of (source, canonical task chain, source content hash),
so overwriting a file changes the key of everything derived from it. Results are
grouped in a directory per source, which is removed when the source is deleted.
Concurrent requests for the same key share one computation (single flight).

The cache is bounded: when its files pass ``max_bytes``, the least recently used results
are removed until it is back under ``LOW_WATER`` of the cap (a hit refreshes a result's
modification time, which is what "used" means here, so ``noatime`` mounts work too). A
result may carry a lifetime (``cache=expiry:N``): older than that, it is computed again.
Temp files a crash left behind are removed when the cache opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import shutil
import threading
import time
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dashboard.filestack_protocol.grammar import Task
from dashboard.local_filestack.storage.atomic import TEMP_PREFIX, atomic_write, is_stale_temp
from dashboard.local_filestack.storage.files import StorageFull

logger = logging.getLogger(__name__)

#: After an eviction the cache holds at most this share of its cap, so it does not evict on every write.
LOW_WATER = 0.9


class CachedResult(BaseModel):
    """A rendered result and what to answer with."""

    data: bytes
    mimetype: str
    width: int | None = None
    height: int | None = None
    etag: str

    @classmethod
    async def computed(cls, compute: Compute) -> CachedResult:
        """Run ``compute`` and describe its bytes (the ETag is their SHA-256)."""
        data, mimetype, width, height = await compute()
        return cls(
            data=data, mimetype=mimetype, width=width, height=height, etag=hashlib.sha256(data).hexdigest()
        )


class _Meta(BaseModel):
    mimetype: str
    width: int | None = None
    height: int | None = None
    etag: str
    #: When the result was stored (seconds since the epoch); 0 for results of earlier versions.
    stored_at: float = 0.0


class CacheUsage(BaseModel):
    """What an eviction pass found and did."""

    entries: int
    bytes: int
    evicted: int


Compute = Callable[[], Awaitable[tuple[bytes, str, int | None, int | None]]]


def canonical_chain(tasks: Iterable[Task]) -> str:
    """The task chain as a stable string: params sorted, order of tasks kept."""
    return "/".join(task.canonical() for task in tasks)


def cache_key(source: str, tasks: Iterable[Task], content_sha256: str) -> str:
    """The key of one transformation of one version of one source."""
    material = "\n".join((source, canonical_chain(tasks), content_sha256))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _group(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:32]


class TransformCache:
    """Rendered outputs under ``cache_dir/<source digest>/<key>{,.json}``, at most ``max_bytes`` of them
    (``None``: unbounded)."""

    def __init__(self, cache_dir: Path, *, max_bytes: int | None = None) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self.max_bytes = max_bytes
        self._inflight: dict[str, asyncio.Task[CachedResult]] = {}
        self._evicting = threading.Lock()
        #: This process's running estimate of the cache's size; an eviction pass measures it.
        self._bytes = 0

    def _paths(self, source: str, key: str) -> tuple[Path, Path]:
        folder = self.cache_dir / _group(source)
        return folder / key, folder / f"{key}.json"

    def _load(self, source: str, key: str, max_age_s: float | None) -> CachedResult | None:
        data_path, meta_path = self._paths(source, key)
        try:
            meta = _Meta.model_validate_json(meta_path.read_bytes())
            if max_age_s is not None and time.time() - meta.stored_at > max_age_s:
                return None  # older than the request allows: computed again, and replaced
            data = data_path.read_bytes()
            with contextlib.suppress(OSError):
                os.utime(data_path)  # used now: the last to be evicted
        except (FileNotFoundError, ValidationError):
            return None
        return CachedResult(data=data, **meta.model_dump(exclude={"stored_at"}))

    def _save(self, source: str, key: str, result: CachedResult) -> None:
        data_path, meta_path = self._paths(source, key)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        meta = _Meta(
            mimetype=result.mimetype,
            width=result.width,
            height=result.height,
            etag=result.etag,
            stored_at=time.time(),
        )
        encoded = meta.model_dump_json().encode()
        atomic_write(data_path, result.data)
        atomic_write(meta_path, encoded)
        self._bytes += len(result.data) + len(encoded)
        if self.max_bytes is not None and self._bytes > self.max_bytes:
            self.evict()

    def evict(self) -> CacheUsage:
        """Measure the cache and remove least recently used results until it is under ``LOW_WATER`` of
        its cap; crash leftovers (stale temp files) go too. Safe beside other processes using the folder."""
        with self._evicting:
            entries: list[tuple[float, int, Path, Path]] = []
            total = 0
            for folder in self.cache_dir.iterdir():
                try:
                    paths = list(folder.iterdir()) if folder.is_dir() else []
                except FileNotFoundError:  # purged meanwhile (its source was deleted)
                    continue
                for path in paths:
                    if is_stale_temp(path):
                        with contextlib.suppress(FileNotFoundError):
                            path.unlink()
                        continue
                    if path.name.startswith(TEMP_PREFIX):  # a write in progress
                        continue
                    if path.suffix == ".json":
                        continue
                    meta = path.with_name(f"{path.name}.json")
                    try:
                        size = path.stat().st_size + meta.stat().st_size
                        used = path.stat().st_mtime
                    except FileNotFoundError:  # half an entry (a crash, a racing eviction)
                        size, used = 0, 0.0
                    entries.append((used, size, path, meta))
                    total += size
            evicted = 0
            if self.max_bytes is not None and total > self.max_bytes:
                target = self.max_bytes * LOW_WATER
                for _used, size, path, meta in sorted(entries, key=lambda entry: entry[0]):
                    if total <= target:
                        break
                    for doomed in (meta, path):  # the metadata first: a reader never finds meta without data
                        with contextlib.suppress(FileNotFoundError):
                            doomed.unlink()
                    total -= size
                    evicted += 1
                if evicted:
                    logger.info("transform cache: evicted %d result(s), %d bytes kept", evicted, total)
            self._bytes = total
            return CacheUsage(entries=len(entries) - evicted, bytes=total, evicted=evicted)

    async def get_or_compute(
        self, source: str, key: str, compute: Compute, *, max_age_s: float | None = None
    ) -> CachedResult:
        """The cached result for ``key``, computing it (once, however many ask) if absent or older
        than ``max_age_s``.

        The computation runs as its own task, so a client that goes away does not
        cancel it for the others waiting on the same key.
        """
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._produce(source, key, compute, max_age_s))
            self._inflight[key] = task
            task.add_done_callback(lambda _done: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _produce(
        self, source: str, key: str, compute: Compute, max_age_s: float | None
    ) -> CachedResult:
        cached = await asyncio.to_thread(self._load, source, key, max_age_s)
        if cached is not None:
            return cached
        result = await CachedResult.computed(compute)
        try:
            await asyncio.to_thread(self._save, source, key, result)
        except (OSError, StorageFull):
            pass  # a full cache disk only costs a recomputation next time
        return result

    def purge(self, source: str) -> None:
        """Forget every result derived from ``source``."""
        shutil.rmtree(self.cache_dir / _group(source), ignore_errors=True)
