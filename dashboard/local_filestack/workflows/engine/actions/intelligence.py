"""The analysis actions ``sfw``, ``ocr``, ``tags`` and ``copyright``.

Each reads the job's source file and hands its bytes to a module-level
function of :mod:`dashboard.local_filestack.intelligence` in the engine's
process pool; the function returns the task's JSON data. The models load once
per worker process, on the first task that needs them. Analyses keep nothing,
so a re-run after a restart simply analyses again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.intelligence import (
    IntelligenceError,
    ModelUnavailable,
    check_sfw,
    find_copyright,
    read_text,
    tag_image,
)
from dashboard.local_filestack.workflows.engine.actions.base import ActionContext, ActionError
from dashboard.local_filestack.workflows.model.contracts import NoParams

Analysis = Callable[[bytes, Limits], dict[str, Any]]
"""A module-level function (so the process pool can pickle it): file bytes and limits in, data out."""


def copyright_data(data: bytes, limits: Limits) -> dict[str, Any]:
    """``copyright`` reads metadata only, so the pixel limits do not apply."""
    return find_copyright(data)


@dataclass(frozen=True)
class AnalysisAction:
    """Runs ``analysis`` on the source file in the process pool; its result is the task's data."""

    name: str
    analysis: Analysis

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Analyse the source; unreadable files and missing models fail the task with a reason."""
        if not isinstance(params, NoParams):
            raise ActionError(f"{self.name} takes no params, got {type(params).__name__}")
        data = await context.read_source()
        try:
            return await context.run_cpu(self.analysis, data, context.resources.limits)
        except ModelUnavailable as exc:
            raise ActionError(f"{self.name} cannot run in this service: {exc}") from exc
        except IntelligenceError as exc:
            raise ActionError(f"{self.name}: {exc}") from exc


def intelligence_actions() -> tuple[AnalysisAction, ...]:
    """The four analysis actions with their real models."""
    return (
        AnalysisAction("sfw", check_sfw),
        AnalysisAction("ocr", read_text),
        AnalysisAction("tags", tag_image),
        AnalysisAction("copyright", copyright_data),
    )
