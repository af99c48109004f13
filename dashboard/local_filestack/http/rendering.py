"""CDN transformations on a few threads of their own, never on the event loop."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from dashboard.filestack_protocol.grammar import Task
from dashboard.local_filestack.imaging import FaceFinder, Limits, Rendered, transform

T = TypeVar("T")


class Renderer:
    """Runs task chains with the service's limits and face finder on ``workers`` threads."""

    def __init__(self, workers: int, limits: Limits, find_faces: FaceFinder | None) -> None:
        self.workers = workers
        self.limits = limits
        self.find_faces = find_faces
        self._executor: ThreadPoolExecutor | None = None

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(
                max_workers=self.workers, thread_name_prefix="filestack-transform"
            )
        return self._executor

    async def start(self) -> None:
        """Start the threads."""
        self._pool()

    async def stop(self) -> None:
        """Stop the threads; renders still queued are dropped."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    async def render(
        self, data: bytes, tasks: Sequence[Task], assets: Mapping[str, bytes] | None = None
    ) -> Rendered:
        """The image ``data`` with ``tasks`` applied; ``assets`` are the files tasks name (a watermark)."""
        return await self.run(transform, data, tuple(tasks), self.limits, self.find_faces, dict(assets or {}))

    async def run(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Any other CPU-bound work of the CDN (analyses, animations) on the same threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool(), functools.partial(function, *args, **kwargs))
