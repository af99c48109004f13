"""The process pool that runs CPU-heavy action work (image transforms) off the event loop.

Processes are started with the ``spawn`` method (no inherited event loop,
threads or locks). Work goes in and comes out as picklable values -- bytes in,
bytes out, through module-level functions. A pool whose worker died (killed,
out of memory) is replaced on the next submission instead of failing forever.

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
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from dashboard.local_filestack.intelligence.faces import preload_detector

T = TypeVar("T")

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
    """A lazily started, self-healing :class:`ProcessPoolExecutor` of ``size`` spawned processes."""

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
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.size,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=prepare_worker,
                initargs=(self.niceness, self.preload),
            )
        return self._executor

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        """Schedule ``fn(*args, **kwargs)`` in a worker process."""
        with self._lock:
            try:
                return self._pool().submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                broken, self._executor = self._executor, None
                if broken is not None:
                    broken.shutdown(wait=False, cancel_futures=True)
                return self._pool().submit(fn, *args, **kwargs)

    def warm_up(self) -> list[Future[bool]]:
        """Start every worker process now (returns at once)."""
        return [self.submit(_ready) for _ in range(self.size)]

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop the worker processes; a later submission starts new ones."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=wait, cancel_futures=cancel_futures)
