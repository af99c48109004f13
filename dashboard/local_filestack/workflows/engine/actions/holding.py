"""The ``quarantine`` and ``virus_scan`` actions: holding a file out of public reach, scanning it.

``quarantine`` puts the task's file on the storage's quarantine list (bytes and record
kept); the CDN and the File API refuse it with 403 until an admin releases it. Holding
a held file again keeps the first hold, so a re-run after a restart changes nothing.

``virus_scan`` sends the file's bytes to ClamAV's clamd
(:mod:`dashboard.local_filestack.intelligence.scanning`); its data is the verdict,
``{"infected", "viruses", "infections_list", "signatures"}``. A scan that cannot run
fails the task with the reason; it never records a clean verdict.
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel

from dashboard.local_filestack.intelligence.scanning import Scanner, ScannerSettings, ScanUnavailable
from dashboard.local_filestack.storage.quarantine import Hold
from dashboard.local_filestack.workflows.engine.actions.base import ActionContext, ActionError
from dashboard.local_filestack.workflows.model.contracts import NoParams, QuarantineParams
from dashboard.local_filestack.workflows.model.jobs import now_ns


class QuarantineAction:
    """Holds the task's file (the job's source, or a piped task's output)."""

    name = "quarantine"

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Hold the file; the data names it and the reason of its (first) hold."""
        if not isinstance(params, QuarantineParams):
            raise ActionError(f"quarantine expects QuarantineParams, got {type(params).__name__}")
        source = await context.source_file()
        hold = Hold(handle=source.handle, reason=params.reason, job=context.job_id, at=now_ns())
        held = await asyncio.to_thread(context.storage.quarantine.hold, hold)
        return {"quarantined": True, "handle": held.handle, "reason": held.reason}


class VirusScanAction:
    """Scans the task's file with clamd."""

    name = "virus_scan"

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """The verdict on the file; a scan that cannot run fails the task with why."""
        if not isinstance(params, NoParams):
            raise ActionError(f"virus_scan takes no params, got {type(params).__name__}")
        data = await context.read_source()
        scanner = Scanner(context.resources.scanner or ScannerSettings())
        try:
            result = await asyncio.to_thread(scanner.scan, data)
        except ScanUnavailable as exc:
            raise ActionError(f"the virus scan could not run ({exc.reason.value}): {exc}") from exc
        return result.model_dump()
