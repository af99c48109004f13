"""The ``delete`` action: remove the job's source file."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from dashboard.local_filestack.workflows.engine.actions.base import ActionContext


class DeleteAction:
    """Deletes the source file; deleting a file that is already gone records ``deleted: false``.

    Idempotent: a re-run after a restart finds the file gone and succeeds.
    """

    name = "delete"

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Delete the source and say whether it existed."""
        handle = context.source_handle
        deleted = await asyncio.to_thread(context.storage.delete, handle)
        forget = context.resources.on_file_deleted
        if deleted and forget is not None:
            await asyncio.to_thread(forget, handle)
        return {"deleted": deleted, "handle": handle}
