"""The process pool that runs CPU-heavy action work (image transforms) off the event loop.

Processes are started with the ``spawn`` method (no inherited event loop,
threads or locks). Work goes in and comes out as picklable values -- bytes in,
bytes out, through module-level functions. A pool whose worker died (killed,
out of memory) is replaced on the next submission instead of failing forever.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Optional, TypeVar

T = TypeVar("T")


def _ready() -> bool:
    """A no-op run once per worker at start so the first real task does not pay for the spawn."""
    return True


class WorkerPool(Executor):
    """A lazily started, self-healing :class:`ProcessPoolExecutor` of ``size`` spawned processes."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a worker pool needs at least one process, got {size}")
        self.size = size
        self._lock = threading.Lock()
        self._executor: Optional[ProcessPoolExecutor] = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.size, mp_context=multiprocessing.get_context("spawn")
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
