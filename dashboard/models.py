"""Database tables (SQLModel through Reflex's database support, SQLite by default).

The tables are registered with Reflex's model registry, so ``reflex db`` and
``rx.session()`` see them, and the engine comes from ``db_url`` in ``rxconfig.py``.
"""

from __future__ import annotations

import time

import reflex as rx
import sqlmodel
from sqlalchemy.orm import registry

class DashboardTable(sqlmodel.SQLModel, registry=registry()):
    """Base of the app's tables: their own metadata, registered once with Reflex."""


rx.ModelRegistry.register(DashboardTable)

#: The photo slots of a profile and what each one is called on the page.
SLOTS: tuple[str, ...] = ("avatar", "cover")


class Profile(DashboardTable, table=True):
    """The one profile the page shows."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)

    name: str = "Ada Lovelace"
    headline: str = "Analyst of engines, poet of numbers"
    bio: str = (
        "Writes programs for machines that do not exist yet. Likes long walks, "
        "Bernoulli numbers and well-lit photographs."
    )
    avatar_url: str = ""
    avatar_handle: str = ""
    cover_url: str = ""
    cover_handle: str = ""
    updated_at: float = sqlmodel.Field(default_factory=time.time)


class PhotoJob(DashboardTable, table=True):
    """One upload of a photo and the workflow job that processes it.

    The job store of the service is the truth about the job; this row remembers which
    job belongs to which slot, so a reload or a restart can pick the job up again,
    and whether the original has been deleted after the final file was saved.
    """

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    slot: str = sqlmodel.Field(index=True)
    original_handle: str
    filename: str = ""
    workflow_id: str = ""
    jobid: str = sqlmodel.Field(default="", index=True)
    #: uploaded | processing | finished | failed | superseded
    status: str = sqlmodel.Field(default="uploaded", index=True)
    preview_url: str = ""
    final_url: str = ""
    final_handle: str = ""
    error: str = ""
    original_deleted: bool = False
    #: JSON: {task_id: {"state": ..., "reason": ...}} as last reported by the job.
    tasks_json: str = "{}"
    created_at: float = sqlmodel.Field(default_factory=time.time, index=True)
    finished_at: float | None = None
