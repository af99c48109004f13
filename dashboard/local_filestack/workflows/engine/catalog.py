"""Creating, replacing, reading and deleting workflows, each checked before it is kept.

A definition is checked twice: its shape by
:func:`~dashboard.local_filestack.workflows.model.workflow.parse_workflow` and its graph
(actions, params, requirements, cycles) by
:func:`~dashboard.local_filestack.workflows.model.dag.validate_workflow`. Either
raises :class:`WorkflowValidationError` with a message naming the culprit.

Besides ``name``, ``tasks`` and ``webhook`` a definition may carry
``webhook_secret``: the secret that signs this workflow's webhooks instead of
the app secret. It is stored but never shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

from dashboard.local_filestack.workflows.model.dag import validate_workflow
from dashboard.local_filestack.workflows.model.errors import WorkflowNotFound
from dashboard.local_filestack.workflows.model.jobs import WorkflowRecord, now_ns
from dashboard.local_filestack.workflows.model.workflow import WorkflowValidationError, parse_workflow
from dashboard.local_filestack.workflows.stores.store import JobStore

SECRET_KEY = "webhook_secret"


def build_record(
    raw: Mapping[str, Any],
    *,
    workflow_id: UUID,
    created_at: int,
    updated_at: int,
) -> WorkflowRecord:
    """Check a definition and turn it into a record with the given id and times."""
    if not isinstance(raw, Mapping):
        raise WorkflowValidationError(f"a workflow must be a JSON object, got {type(raw).__name__}")
    secret = raw.get(SECRET_KEY)
    if secret is not None and (not isinstance(secret, str) or not secret.strip()):
        raise WorkflowValidationError(f"{SECRET_KEY} must be a non-empty string")
    definition = {key: value for key, value in raw.items() if key not in (SECRET_KEY, "id", "uuid")}
    workflow = parse_workflow(definition)
    validate_workflow(workflow)
    return WorkflowRecord(
        id=workflow_id,
        name=workflow.name,
        tasks=[task.model_dump(exclude_none=True) for task in workflow.tasks],
        webhook=workflow.webhook,
        webhook_secret=secret,
        triggers=[trigger.model_dump(exclude_none=True) for trigger in workflow.triggers],
        created_at=created_at,
        updated_at=updated_at,
    )


class WorkflowCatalog:
    """The workflows of the service, kept in the job store."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    async def create(self, raw: Mapping[str, Any]) -> WorkflowRecord:
        """Check and keep a new workflow under a fresh id."""
        stamp = now_ns()
        record = build_record(raw, workflow_id=uuid4(), created_at=stamp, updated_at=stamp)
        await self.store.save_workflow(record)
        return record

    async def replace(self, workflow_id: str, raw: Mapping[str, Any]) -> WorkflowRecord:
        """Check and replace the definition of an existing workflow (its id and creation time stay)."""
        current = await self.get(workflow_id)
        record = build_record(raw, workflow_id=current.id, created_at=current.created_at, updated_at=now_ns())
        await self.store.save_workflow(record)
        return record

    async def upsert(self, raw: Mapping[str, Any], workflow_id: UUID) -> WorkflowRecord:
        """Keep a workflow under a fixed id, creating or replacing it."""
        existing = await self.store.get_workflow(str(workflow_id))
        stamp = now_ns()
        record = build_record(
            raw,
            workflow_id=workflow_id,
            created_at=existing.created_at if existing is not None else stamp,
            updated_at=stamp,
        )
        if existing is not None and _same_definition(existing, record):
            return existing
        await self.store.save_workflow(record)
        return record

    async def get(self, workflow_id: str) -> WorkflowRecord:
        """A workflow; :class:`WorkflowNotFound` if there is none."""
        record = await self.store.get_workflow(workflow_id)
        if record is None:
            raise WorkflowNotFound(workflow_id)
        return record

    async def list(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first."""
        return await self.store.list_workflows()

    async def delete(self, workflow_id: str) -> None:
        """Remove a workflow (jobs already started keep running); :class:`WorkflowNotFound` if absent."""
        if not await self.store.delete_workflow(workflow_id):
            raise WorkflowNotFound(workflow_id)


def _same_definition(left: WorkflowRecord, right: WorkflowRecord) -> bool:
    keys = {"name", "tasks", "webhook", "webhook_secret", "triggers"}
    return left.model_dump(include=keys) == right.model_dump(include=keys)
