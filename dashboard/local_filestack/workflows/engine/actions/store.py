"""The ``store`` action: keep a permanent copy of the source file."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from dashboard.local_filestack.ingest.receive import StoreOptions
from dashboard.local_filestack.workflows.engine.actions.base import ActionContext, ActionError
from dashboard.local_filestack.workflows.model.contracts import StoreParams


class StoreAction:
    """Copies the source to a new handle at the given location, path and container.

    Idempotent: the output handle is reserved before the copy is written, so a
    re-run returns the copy made before instead of making another.
    """

    name = "store"

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Store the copy (or find the one stored before) and describe it."""
        if not isinstance(params, StoreParams):
            raise ActionError(f"store expects StoreParams, got {type(params).__name__}")
        slot, existing = await context.output_slot(temporary=False)
        if existing is not None:
            return context.stored_data(existing)
        source = await context.source_file()
        data = await context.read_source()
        options = StoreOptions(
            filename=params.filename,
            location=params.location,
            path=params.path,
            container=params.container,
            access=params.access,
        )
        new = options.new_file(
            data, filename=source.filename, mimetype=source.mimetype, width=source.width, height=source.height
        )
        stored = await context.write_output(slot, new)
        return context.stored_data(stored)
