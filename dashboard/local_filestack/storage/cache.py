"""Transformed results on disk, computed once per distinct request.

A result's key is the sha256 of (source, canonical task chain, source content hash),
so overwriting a file changes the key of everything derived from it. Results are
grouped in a directory per source, which is removed when the source is deleted.
Concurrent requests for the same key share one computation (single flight).
"""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dashboard.filestack_protocol.grammar import Task
from dashboard.local_filestack.storage.atomic import atomic_write
from dashboard.local_filestack.storage.files import StorageFull


class CachedResult(BaseModel):
    """A rendered result and what to answer with."""

    data: bytes
    mimetype: str
    width: int | None = None
    height: int | None = None
    etag: str


class _Meta(BaseModel):
    mimetype: str
    width: int | None = None
    height: int | None = None
    etag: str


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
    """Rendered outputs under ``cache_dir/<source digest>/<key>{,.json}``."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._inflight: dict[str, asyncio.Task[CachedResult]] = {}

    def _paths(self, source: str, key: str) -> tuple[Path, Path]:
        folder = self.cache_dir / _group(source)
        return folder / key, folder / f"{key}.json"

    def _load(self, source: str, key: str) -> CachedResult | None:
        data_path, meta_path = self._paths(source, key)
        try:
            meta = _Meta.model_validate_json(meta_path.read_bytes())
            data = data_path.read_bytes()
        except (FileNotFoundError, ValidationError):
            return None
        return CachedResult(data=data, **meta.model_dump())

    def _save(self, source: str, key: str, result: CachedResult) -> None:
        data_path, meta_path = self._paths(source, key)
        data_path.parent.mkdir(parents=True, exist_ok=True)
        meta = _Meta(mimetype=result.mimetype, width=result.width, height=result.height, etag=result.etag)
        atomic_write(data_path, result.data)
        atomic_write(meta_path, meta.model_dump_json().encode())

    async def get_or_compute(self, source: str, key: str, compute: Compute) -> CachedResult:
        """The cached result for ``key``, computing it (once, however many ask) if absent.

        The computation runs as its own task, so a client that goes away does not
        cancel it for the others waiting on the same key.
        """
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._produce(source, key, compute))
            self._inflight[key] = task
            task.add_done_callback(lambda _done: self._inflight.pop(key, None))
        return await asyncio.shield(task)

    async def _produce(self, source: str, key: str, compute: Compute) -> CachedResult:
        cached = await asyncio.to_thread(self._load, source, key)
        if cached is not None:
            return cached
        data, mimetype, width, height = await compute()
        result = CachedResult(
            data=data,
            mimetype=mimetype,
            width=width,
            height=height,
            etag=hashlib.sha256(data).hexdigest(),
        )
        try:
            await asyncio.to_thread(self._save, source, key, result)
        except (OSError, StorageFull):
            pass  # a full cache disk only costs a recomputation next time
        return result

    def purge(self, source: str) -> None:
        """Forget every result derived from ``source``."""
        shutil.rmtree(self.cache_dir / _group(source), ignore_errors=True)
