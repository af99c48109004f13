"""Group commit for a single-writer database: the writes of many jobs in one transaction.

SQLite takes one writer at a time (the store's ``BEGIN IMMEDIATE`` under a lock), so each
job write waiting its turn on a thread of its own costs a thread hop and a commit. A
:class:`WriteBatcher` runs the writes on one thread instead: whatever writes are waiting when
it is free run together in one transaction, each inside its own savepoint (a write that fails
is rolled back alone and raises to its caller; the others commit). Callers are answered only
after the commit, so a caller that reads afterwards sees its write.

A write is a function of the transaction's cursor, run on the writer's thread; a read it makes
through the same database (its connection is the writer thread's) sees the batch so far.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from dashboard.local_filestack.storage.sql import Cursor, Database

logger = logging.getLogger(__name__)

T = TypeVar("T")
Write = Callable[[Cursor], Any]

#: The most writes committed together.
MAX_BATCH = 256


class WriteBatcher:
    """One writer thread committing the waiting writes together."""

    def __init__(self, db: Database, max_batch: int = MAX_BATCH) -> None:
        self.db = db
        self.max_batch = max_batch
        self._waiting: queue.SimpleQueue[tuple[Write, asyncio.Future[Any]] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        #: Batches committed and writes in them (the benchmark reads them).
        self.batches = 0
        self.writes = 0

    async def run(self, write: Callable[[Cursor], T]) -> T:
        """Run ``write`` in the next batch; its result once the batch is committed."""
        self._ensure_thread()
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiting.put((write, future))
        return await future

    def close(self) -> None:
        """Finish the waiting writes and stop the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._waiting.put(None)
            thread.join()

    def _ensure_thread(self) -> None:
        if self._thread is None:
            with self._start_lock:
                if self._thread is None:
                    self._thread = threading.Thread(
                        target=self._write_loop, name="workflow-store-writer", daemon=True
                    )
                    self._thread.start()

    def _write_loop(self) -> None:
        while True:
            first = self._waiting.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._waiting.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[tuple[Write, asyncio.Future[Any]]]) -> None:
        outcomes: list[tuple[bool, Any]] = []
        try:
            with self.db.transaction() as cursor:
                for write, _future in batch:
                    cursor.execute("SAVEPOINT batched_write")
                    try:
                        outcomes.append((True, write(cursor)))
                    except Exception as exc:  # noqa: BLE001 -- raised to the caller of this write alone
                        cursor.execute("ROLLBACK TO batched_write")
                        outcomes.append((False, exc))
                    cursor.execute("RELEASE batched_write")
        except Exception as exc:  # noqa: BLE001 -- the commit failed: raised to every caller
            outcomes = [(False, exc)] * len(batch)
        self.batches += 1
        self.writes += len(batch)
        for (_write, future), (ok, value) in zip(batch, outcomes, strict=True):
            with contextlib.suppress(RuntimeError):  # the caller's loop is closed: nobody waits
                future.get_loop().call_soon_threadsafe(_settle, future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.done():  # the caller was cancelled; the write is committed anyway
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)
