"""What an action implementation is and what it may use while it runs.

An action is anything with ``name`` and ``async run(context, params) -> dict``
(:class:`Action`); the dict is the task's ``data`` and is recorded as
``{"data": {...}}``. ``params`` is the task's params already validated against
the action's contract. Actions raise :class:`ActionError` with a message for the
person who wrote the workflow; anything else is reported as an internal error.

:class:`ActionContext` gives an action its source file, the image worker pool
and idempotent output storage: :meth:`ActionContext.output_slot` reserves (or
finds again) the handle of the task's output before anything is written, so an
action re-run after a restart returns the file it already stored instead of
storing a second one.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, runtime_checkable

from pydantic import BaseModel

from dashboard.local_filestack.imaging import FaceFinder, Limits
from dashboard.local_filestack.ingest.metadata import cdn_file_url
from dashboard.local_filestack.intelligence.scanning import ScannerSettings
from dashboard.local_filestack.storage.files import (
    FileNotFound,
    HandleInUse,
    NewFile,
    StorageFull,
    StoredFile,
)
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.engine.pool import WORKER_DIED
from dashboard.local_filestack.workflows.model.jobs import TaskOutput
from dashboard.local_filestack.workflows.stores.store import JobStore

T = TypeVar("T")


class ActionError(Exception):
    """A task failed; the message says why, for the workflow's author."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ActionUnavailable(ActionError):
    """The action has a contract but no implementation in this service."""

    def __init__(self, name: str) -> None:
        super().__init__(f"action {name!r} is not available in this service")
        self.name = name


@runtime_checkable
class Action(Protocol):
    """An action implementation."""

    @property
    def name(self) -> str:
        """The action name, as in the workflow's ``action`` field."""
        ...

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Do the work and return the task's ``data``."""
        ...


ActionFunction = Callable[["ActionContext", BaseModel], Awaitable[dict[str, Any]]]
"""A plain coroutine function can be an action too (see :class:`FunctionAction`)."""


@dataclass(frozen=True)
class FunctionAction:
    """Wraps ``async def f(context, params) -> dict`` as an :class:`Action`."""

    name: str
    function: ActionFunction

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Call the function."""
        return await self.function(context, params)


@dataclass(frozen=True)
class ActionResources:
    """What every action of the service shares.

    ``pool`` is the process pool for CPU-heavy work; ``find_faces`` is what face-aware
    crops look for faces with; ``on_file_deleted`` lets the service forget cached
    renditions of a file an action deleted; ``scanner`` is where ``virus_scan`` reaches clamd.
    """

    storage: Storage
    store: JobStore
    pool: Executor
    limits: Limits
    public_url: str | None = None
    find_faces: FaceFinder | None = None
    on_file_deleted: Callable[[str], None] | None = None
    scanner: ScannerSettings | None = None


@dataclass(frozen=True)
class ActionContext:
    """One task of one job: ids, the source file and the shared resources."""

    job_id: str
    task_id: str
    source_handle: str
    base_url: str
    resources: ActionResources

    @property
    def storage(self) -> Storage:
        """The file storage."""
        return self.resources.storage

    def file_url(self, handle: str) -> str:
        """The CDN URL of a stored file (``base_url`` is the CDN's public base the job was started with)."""
        return cdn_file_url(self.base_url, handle)

    async def source_file(self) -> StoredFile:
        """Metadata of the source file; :class:`ActionError` if it is gone."""
        try:
            return await asyncio.to_thread(self.storage.get, self.source_handle)
        except FileNotFound as exc:
            raise ActionError(f"source file {self.source_handle!r} not found") from exc

    async def read_source(self) -> bytes:
        """The bytes of the source file; :class:`ActionError` if it is gone."""
        try:
            return await asyncio.to_thread(self.storage.read, self.source_handle)
        except FileNotFound as exc:
            raise ActionError(f"source file {self.source_handle!r} not found") from exc

    async def run_cpu(self, function: Callable[..., T], *args: Any) -> T:
        """Run a module-level function in the process pool (arguments and result are pickled).

        A worker that dies mid-task (killed, out of memory) costs one retry on a
        fresh worker; a second death fails the task.
        """
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self.resources.pool, function, *args)
        except WORKER_DIED:
            try:
                return await loop.run_in_executor(self.resources.pool, function, *args)
            except WORKER_DIED as exc:
                raise ActionError("the worker process died while processing (out of memory?)") from exc

    async def output_slot(self, *, temporary: bool) -> tuple[TaskOutput, StoredFile | None]:
        """This task's reserved output handle, and the file if it was already stored."""
        slot = await self.resources.store.reserve_output(self.job_id, self.task_id, temporary=temporary)
        try:
            existing = await asyncio.to_thread(self.storage.get, slot.handle)
        except FileNotFound:
            existing = None
        return slot, existing

    async def write_output(self, slot: TaskOutput, new: NewFile) -> StoredFile:
        """Store ``new`` under the reserved handle of ``slot``.

        If another run of the same task (a redelivered job) stored it first, that file is
        returned: a task run twice stores one file.
        """
        try:
            return await asyncio.to_thread(self.storage.put, new, handle=slot.handle)
        except HandleInUse:
            return await asyncio.to_thread(self.storage.get, slot.handle)
        except StorageFull as exc:
            raise ActionError(str(exc)) from exc

    def stored_data(self, stored: StoredFile) -> dict[str, Any]:
        """The ``data`` of a task that produced a stored file."""
        return {
            "url": self.file_url(stored.handle),
            "handle": stored.handle,
            "filename": stored.filename,
            "size": stored.size,
            "mimetype": stored.mimetype,
            "key": stored.key,
            "container": stored.container,
            "width": stored.width,
            "height": stored.height,
        }
