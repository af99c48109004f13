"""The process pool that runs CPU-heavy action work (image transforms) off the event loop.

Processes are started with the ``spawn`` method (no inherited event loop,
threads or locks). Work goes in and comes out as picklable values -- bytes in,
bytes out, through module-level functions. The pool is pebble's ``ProcessPool``:
cancelling the future of work that is running ends the worker process doing it
(a stopped task -- cancelled job, timeout -- stops computing at once) and starts a
fresh one; a worker that dies (killed, out of memory) fails only its own work
(``ProcessExpired``), never the rest of the pool.

Each worker starts at a lower CPU priority than the service (``WORKER_NICENESS``),
so when image work fills every core the event loop still gets the CPU it
needs to answer status reads and previews; and it loads what ``preload``
lists (the action modules, the face detector) on a background thread, so the
first job after a start does not pay for those imports and the model (0.5–1 s
on the development machine), while a task arriving earlier runs at once
and waits only for what it needs.
"""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from dashboard.local_filestack.intelligence.faces import preload_detector

T = TypeVar("T")

#: What a task's future raises when the worker process running it died.
WORKER_DIED: tuple[type[Exception], ...] = (ProcessExpired, BrokenProcessPool)

logger = logging.getLogger(__name__)

WORKER_NICENESS = 5
"""How much lower than the service the worker processes run (``nice`` increment)."""

DEFAULT_PRELOAD: tuple[Callable[[], object], ...] = (
    functools.partial(importlib.import_module, "dashboard.local_filestack.workflows.engine.actions"),
    preload_detector,
)
"""What every worker loads at start: the action modules whose functions tasks send (about
0.4 s of imports), then the face detector of ``align:faces`` (the profile workflow)."""


def _ready() -> bool:
    """A no-op run once per worker at start so the first real task does not pay for the spawn."""
    return True


def prepare_worker(niceness: int, preload: Sequence[Callable[[], object]]) -> None:
    """Run in each worker process as it starts: lower its priority, start preloading.

    Never raises: a worker that cannot be reniced or preload still runs tasks
    (a model that failed to preload loads, or fails, when a task asks for it).
    """
    if niceness:
        try:
            os.nice(niceness)
        except OSError as exc:
            logger.debug("worker priority unchanged: %s", exc)
    if preload:
        threading.Thread(target=_preload, args=(tuple(preload),), name="preload", daemon=True).start()


def _preload(loaders: tuple[Callable[[], object], ...]) -> None:
    for load in loaders:
        try:
            load()
        except Exception:  # a preload is an optimisation; the task that needs the model reports it
            logger.exception("preloading in a worker process failed")


class WorkerPool(Executor):
    """A lazily started, self-healing process pool of ``size`` spawned processes.

    Cancelling a future (``Future.cancel()``, or cancelling the asyncio task awaiting
    it through ``run_in_executor``) while its work runs ends that worker process.
    """

    def __init__(
        self,
        size: int,
        *,
        niceness: int = WORKER_NICENESS,
        preload: Sequence[Callable[[], object]] = DEFAULT_PRELOAD,
    ) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one process, got {size}")
        if niceness < 0:
            raise ValueError(f"workers cannot run at a higher priority than the service, got {niceness}")
        self.size = size
        self.niceness = niceness
        self.preload = tuple(preload)
        self._lock = threading.Lock()
        self._executor: ProcessPool | None = None

    def _pool(self) -> ProcessPool:
        if self._executor is None or not self._executor.active:
            self._executor = ProcessPool(
                max_workers=self.size,
                initializer=prepare_worker,
                initargs=(self.niceness, self.preload),
                context=multiprocessing.get_context("spawn"),
            )
        return self._executor

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Schedule ``fn(*args, **kwargs)`` in a worker process."""
        with self._lock:
            return self._pool().schedule(fn, args=args, kwargs=kwargs)

    def warm_up(self) -> list[Future[bool]]:
        """Start every worker process now (returns at once)."""
        return [self.submit(_ready) for _ in range(self.size)]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the worker processes (at once, dropping queued work, with ``cancel_futures``);
        a later submission starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is None:
            return
        if cancel_futures:
            executor.stop()
        else:
            executor.close()
        if wait:
            executor.join()
