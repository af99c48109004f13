"""Turning a job's source into the stored file its actions work on.

* a handle is used as it is (actions report a missing file themselves, so a
  ``delete`` re-run after a restart still succeeds);
* an external URL is fetched once through the SSRF guard and kept as a
  temporary file of the job (deleted with the job); the handle is reserved
  before the fetch, so a re-run reuses the copy instead of fetching again;
* ``src://alias/path`` is read from the configured storage alias
  (``STORAGE_ALIASES``) and kept the same way as a fetched URL.
"""

from __future__ import annotations

import asyncio

from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.ingest.netguard import FetchError, FetchOptions, url_filename
from dashboard.local_filestack.ingest.receive import describe
from dashboard.local_filestack.storage.aliases import AliasError, StorageAliases
from dashboard.local_filestack.storage.files import FileNotFound, HandleInUse, NewFile
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.model.jobs import SOURCE_OUTPUT, JobRecord, SourceKind, now_ns
from dashboard.local_filestack.workflows.stores.store import JobStore


class SourceError(Exception):
    """The job's source cannot be used; the job fails with this message."""


class SourceResolver:
    """Finds (or fetches) the stored file behind a job's source."""

    def __init__(
        self,
        storage: Storage,
        store: JobStore,
        fetching: FetchOptions,
        limits: Limits,
        aliases: StorageAliases | None = None,
    ) -> None:
        self.storage = storage
        self.store = store
        self.fetching = fetching
        self.limits = limits
        self.aliases = aliases or StorageAliases({})

    async def resolve(self, job: JobRecord) -> str:
        """The handle of the file the job's actions work on; :class:`SourceError` if there is none."""
        if job.source.kind is SourceKind.HANDLE:
            return job.source.value
        if job.source_handle is not None:
            return job.source_handle
        return await self._fetch_url(job)

    async def _fetch_url(self, job: JobRecord) -> str:
        slot = await self.store.reserve_output(job.id, SOURCE_OUTPUT, temporary=True)
        try:
            await asyncio.to_thread(self.storage.get, slot.handle)
        except FileNotFound:
            await self._download(job.source.value, slot.handle)
        await self.store.set_source_handle(job.id, slot.handle, now_ns())
        return slot.handle

    async def _download(self, url: str, handle: str) -> None:
        if url.startswith("src://"):
            try:
                read = await asyncio.to_thread(self.aliases.read, url, self.fetching.max_bytes)
            except AliasError as exc:
                raise SourceError(str(exc)) from exc
            data, declared = read.data, ""
        else:
            try:
                data, declared = await self.fetching.fetch(url)
            except FetchError as exc:
                raise SourceError(f"could not fetch source {url}: {exc}") from exc
        if not data:
            raise SourceError(f"source {url} is empty")
        described = await describe(data, self.limits, declared)
        try:
            new = NewFile(
                data=data,
                filename=url_filename(url) or "source",
                mimetype=described.mimetype,
                width=described.width,
                height=described.height,
            )
            await asyncio.to_thread(self.storage.put, new, handle=handle)
        except HandleInUse:
            pass  # another run of this job (a redelivery) stored the same source first
