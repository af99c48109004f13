"""Database tables (SQLModel through Reflex's database support, SQLite by default).

The tables are registered with Reflex's model registry, so ``reflex db`` and
``rx.session()`` see them, and the engine comes from ``db_url`` in ``rxconfig.py``.
Every row a person owns carries ``owner_id`` (their :class:`Account`); the single
profile of the time before accounts has no owner and is never shown.
"""

from __future__ import annotations

import enum
import time

import reflex as rx
import sqlmodel
from sqlalchemy.orm import registry


class DashboardTable(sqlmodel.SQLModel, registry=registry()):
    """Base of the app's tables: their own metadata, registered once with Reflex."""


rx.ModelRegistry.register(DashboardTable)


class Slot(enum.StrEnum):
    """The photo slots of a profile."""

    AVATAR = "avatar"
    COVER = "cover"


#: The photo slots of a profile, in the order the page shows them.
SLOTS: tuple[Slot, ...] = (Slot.AVATAR, Slot.COVER)


class JobStatus(enum.StrEnum):
    """Where a photo job stands, as recorded in its ``photojob`` row."""

    UPLOADED = "uploaded"
    PROCESSING = "processing"
    FINISHED = "finished"
    FAILED = "failed"
    SUPERSEDED = "superseded"

    @property
    def is_open(self) -> bool:
        """Still being processed (followed after a reload or a restart)."""
        return self in OPEN_STATUSES


#: Jobs in these states are still being followed.
OPEN_STATUSES: tuple[JobStatus, ...] = (JobStatus.UPLOADED, JobStatus.PROCESSING)


class Account(DashboardTable, table=True):
    """A person who signs in. ``username`` is stored lower-case and is the public page's address."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    username: str = sqlmodel.Field(index=True, unique=True)
    #: argon2id, in the PHC string format (parameters and salt included).
    password_hash: str
    created_at: float = sqlmodel.Field(default_factory=time.time)
    password_changed_at: float = sqlmodel.Field(default_factory=time.time)
    #: The app's administrator (the first account ever created); ``ADMIN_USERNAMES`` names more.
    is_admin: bool = sqlmodel.Field(default=False)


class FirstAccount(DashboardTable, table=True):
    """One row, written by the first sign-up ever: whoever inserts it becomes the admin.

    Its primary key is fixed, so two sign-ups racing on an empty database cannot both win.
    It stays when that account is deleted: no later account becomes admin by being first.
    """

    slot: int = sqlmodel.Field(default=1, primary_key=True)
    account_id: int


class AuthSession(DashboardTable, table=True):
    """A signed-in browser. Only the SHA-256 of its random token is stored."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    account_id: int = sqlmodel.Field(index=True, foreign_key="account.id")
    token_hash: str = sqlmodel.Field(index=True, unique=True)
    created_at: float = sqlmodel.Field(default_factory=time.time)
    #: Last time the expiry was pushed forward (sliding expiry, written at most once a minute).
    seen_at: float = sqlmodel.Field(default_factory=time.time)
    expires_at: float = sqlmodel.Field(index=True)


class SignInFailure(DashboardTable, table=True):
    """One failed sign-in, counted per key: ``user:<name>`` and ``addr:<client address>``."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    key: str = sqlmodel.Field(index=True)
    at: float = sqlmodel.Field(default_factory=time.time, index=True)


class Profile(DashboardTable, table=True):
    """One person's profile: text fields and the stored file of each photo slot."""

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    #: The account that owns it; ``None`` only for the profile kept from before accounts.
    owner_id: int | None = sqlmodel.Field(default=None, index=True, unique=True, foreign_key="account.id")

    name: str = ""
    headline: str = ""
    bio: str = ""
    avatar_url: str = ""
    avatar_handle: str = ""
    cover_url: str = ""
    cover_handle: str = ""
    updated_at: float = sqlmodel.Field(default_factory=time.time)


class PhotoJob(DashboardTable, table=True):
    """One upload of a photo and the workflow job that processes it.

    The job store of the service is the truth about the job; this row remembers which
    job belongs to whose slot, so a reload or a restart can pick the job up again,
    and whether the original has been deleted after the final file was saved.
    ``id`` is the *photo job id*; ``jobid`` is the service's *workflow job id* (a UUID).
    """

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    #: The account that uploaded it; ``None`` only for jobs kept from before accounts.
    owner_id: int | None = sqlmodel.Field(default=None, index=True, foreign_key="account.id")
    slot: str = sqlmodel.Field(index=True)
    original_handle: str
    filename: str = ""
    workflow_id: str = ""
    #: The workflow job's id in the service (``workflow_job_id`` everywhere else in the app).
    jobid: str = sqlmodel.Field(default="", index=True)
    status: str = sqlmodel.Field(default=JobStatus.UPLOADED, index=True)
    preview_url: str = ""
    final_url: str = ""
    final_handle: str = ""
    error: str = ""
    original_deleted: bool = False
    #: When an app worker claimed the original's deletion (``None``: nobody has). The claim is
    #: set before the delete is sent and ``original_deleted`` after; a claim older than a minute
    #: whose delete never got through (the worker died, the service refused) is claimed again.
    original_delete_claimed_at: float | None = None
    #: The person dismissed this job's failure: the page no longer shows it.
    dismissed: bool = False
    #: JSON: {task_id: {"state": ..., "reason": ...}} as last reported by the job.
    tasks_json: str = "{}"
    created_at: float = sqlmodel.Field(default_factory=time.time, index=True)
    finished_at: float | None = None

    @property
    def workflow_job_id(self) -> str:
        """The service's id of the workflow job (empty before the workflow started)."""
        return self.jobid

    @property
    def job_status(self) -> JobStatus:
        """``status`` as the enum."""
        return JobStatus(self.status)


class ReplacedState(enum.StrEnum):
    """Where a photo taken out of its slot stands."""

    #: Inside its undo window: the file is kept and Undo puts it back.
    WAITING = "waiting"
    #: Undo put it back in the slot; its file stays.
    UNDONE = "undone"
    #: The window ended and the file was deleted (or is being deleted by one app worker).
    DELETED = "deleted"


class ReplacedPhoto(DashboardTable, table=True):
    """A photo taken out of a slot, by a newer photo or by "Remove photo", kept for its undo window.

    ``handle`` is the file that left the slot (empty when the slot had no photo: undo then
    returns to the placeholder); ``replaced_by_handle`` the one that took its place (empty
    after a removal). When ``due_at`` passes, ``handle`` is deleted; an undo before that
    puts it back and deletes ``replaced_by_handle`` instead. The rows are in the database, so
    a restart still deletes what was due.
    """

    id: int | None = sqlmodel.Field(default=None, primary_key=True)
    owner_id: int = sqlmodel.Field(index=True, foreign_key="account.id")
    slot: str = sqlmodel.Field(index=True)
    handle: str = ""
    url: str = ""
    replaced_by_handle: str = ""
    created_at: float = sqlmodel.Field(default_factory=time.time)
    due_at: float = sqlmodel.Field(index=True)
    state: str = sqlmodel.Field(default=ReplacedState.WAITING, index=True)
