"""Reading and writing profiles and their photo jobs in the app's database, always per owner.

Plain synchronous functions over Reflex's SQLModel sessions; state handlers call
them through ``asyncio.to_thread`` so the event loop never waits on the disk. Every
function that reads or writes a person's rows takes their account id (``owner_id``)
and filters by it, so a photo job id or a handle from someone else finds nothing.
The one query across owners, :func:`open_jobs_of_everyone`, serves the restart and
takeover paths, which then carry each job's own owner.
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import reflex as rx
import sqlalchemy
import sqlmodel
from reflex.model import create_all, get_engine, migrate

from dashboard import replaced_photos
from dashboard.models import OPEN_STATUSES, SLOTS, JobStatus, PhotoJob, Profile, Slot

#: PostgreSQL advisory lock held while the schema is brought up to date, so app workers
#: starting together migrate one after the other.
_SCHEMA_LOCK = 8_424_003

#: Seconds after which an unconfirmed claim on an original's deletion may be taken again.
DELETE_CLAIM_STALE_S = 60.0
#: Text fields a person may edit.
TEXT_FIELDS = ("name", "headline", "bio")


def ensure_schema() -> None:
    """Bring the database to the newest migration (``alembic/``), creating it if needed.

    Without an ``alembic.ini`` where the app runs, the tables are created directly. Runs at
    each backend worker's start: connections pooled before the worker was forked are
    dropped first (a forked process must never share a database socket with its parent).
    """
    get_engine().dispose(close=False)
    with _schema_lock():
        if migrate() is None:
            create_all()


@contextlib.contextmanager
def _schema_lock() -> Iterator[None]:
    """On PostgreSQL, one app worker at a time; elsewhere nothing to wait for."""
    engine = get_engine()
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(sqlalchemy.text("SELECT pg_advisory_lock(:key)"), {"key": _SCHEMA_LOCK})
        try:
            yield
        finally:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:key)"), {"key": _SCHEMA_LOCK})


def _detached(session: sqlmodel.Session, row: Any) -> Any:
    if row is not None:
        session.expunge(row)
    return row


def _profile_of(session: sqlmodel.Session, owner_id: int) -> Profile | None:
    return session.exec(sqlmodel.select(Profile).where(Profile.owner_id == owner_id)).first()


def create_profile(owner_id: int, name: str) -> Profile:
    """The new account's profile, named after it (nothing happens if it exists)."""
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        if profile is None:
            profile = Profile(owner_id=owner_id, name=name, headline="", bio="")
            session.add(profile)
            session.commit()
            session.refresh(profile)
        return _detached(session, profile)


def find_profile(owner_id: int) -> Profile | None:
    """The owner's profile, or ``None`` (nothing is created)."""
    with rx.session() as session:
        return _detached(session, _profile_of(session, owner_id))


def load_profile(owner_id: int, username: str = "") -> Profile:
    """The owner's profile, created on first use."""
    return find_profile(owner_id) or create_profile(owner_id, username)


def update_profile(owner_id: int, /, **fields: Any) -> Profile:
    """Change some fields of the owner's profile and return it."""
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        if profile is None:
            raise LookupError(f"account {owner_id} has no profile")
        for key, value in fields.items():
            if key in ("id", "owner_id") or not hasattr(profile, key):
                raise AttributeError(f"profile has no field {key!r} to change")
            setattr(profile, key, value)
        profile.updated_at = time.time()
        session.add(profile)
        session.commit()
        session.refresh(profile)
        return _detached(session, profile)


def save_text_if_unchanged(owner_id: int, field: str, value: str, expected: str) -> tuple[bool, Profile]:
    """Set one text field to ``value`` only if it still holds ``expected`` (one conditional statement).

    Returns whether it was written, and the profile as it is now; two windows saving the same
    field at once cannot both win, and a change made elsewhere is never silently overwritten.
    """
    if field not in TEXT_FIELDS:
        raise AttributeError(f"profile has no text field {field!r}")
    column = getattr(Profile, field)
    with rx.session() as session:
        result = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(Profile)
            .where(Profile.owner_id == owner_id, column == expected)
            .values({field: value, "updated_at": time.time()})
        )
        session.commit()
        profile = _profile_of(session, owner_id)
        if profile is None:
            raise LookupError(f"account {owner_id} has no profile")
        return bool(result.rowcount), _detached(session, profile)


def set_photo(owner_id: int, slot: str, url: str, handle: str) -> Profile:
    """Make a stored file the owner's photo for ``slot``."""
    slot = Slot(slot)
    return update_profile(owner_id, **{f"{slot}_url": url, f"{slot}_handle": handle})


def add_job(owner_id: int, slot: str, original_handle: str, filename: str, preview_url: str) -> PhotoJob:
    """Record a new upload; the owner's earlier open jobs of the slot are superseded."""
    slot = Slot(slot)
    with rx.session() as session:
        for old in session.exec(
            sqlmodel.select(PhotoJob).where(
                PhotoJob.owner_id == owner_id, PhotoJob.slot == slot, PhotoJob.status.in_(OPEN_STATUSES)
            )
        ):
            old.status = JobStatus.SUPERSEDED
            session.add(old)
        job = PhotoJob(
            owner_id=owner_id,
            slot=slot,
            original_handle=original_handle,
            filename=filename,
            preview_url=preview_url,
        )
        session.add(job)
        session.commit()
        session.refresh(job)
        return _detached(session, job)


def _owned_job(session: sqlmodel.Session, owner_id: int, photo_job_id: int) -> PhotoJob | None:
    return session.exec(
        sqlmodel.select(PhotoJob).where(PhotoJob.id == photo_job_id, PhotoJob.owner_id == owner_id)
    ).first()


def update_job(owner_id: int, photo_job_id: int, /, **fields: Any) -> PhotoJob:
    """Change some fields of one of the owner's job rows."""
    with rx.session() as session:
        job = _owned_job(session, owner_id, photo_job_id)
        if job is None:
            raise LookupError(f"photo job {photo_job_id} not found")
        for key, value in fields.items():
            if key == "tasks" and isinstance(value, dict):
                job.tasks_json = json.dumps(value)
                continue
            if key in ("id", "owner_id"):
                raise AttributeError(f"photo job field {key!r} cannot change")
            setattr(job, key, value)
        session.add(job)
        session.commit()
        session.refresh(job)
        return _detached(session, job)


def claim_original_delete(
    owner_id: int, photo_job_id: int, claimed: bool = True, now: float | None = None
) -> bool:
    """Claim (or give back) the deletion of a job's original in one conditional statement.

    ``True`` only for the one caller that took the claim: among app workers finishing the same
    job at once exactly one sends the delete. A claim older than ``DELETE_CLAIM_STALE_S`` whose
    delete was never confirmed (``original_deleted`` still false) may be taken again.
    """
    at = time.time() if now is None else now
    with rx.session() as session:
        mine = (
            PhotoJob.id == photo_job_id,
            PhotoJob.owner_id == owner_id,
            PhotoJob.original_deleted == False,
        )
        if claimed:
            stale = at - DELETE_CLAIM_STALE_S
            statement = (
                sqlmodel.update(PhotoJob)
                .where(
                    *mine,
                    sqlalchemy.or_(
                        PhotoJob.original_delete_claimed_at.is_(None),  # type: ignore[union-attr]
                        PhotoJob.original_delete_claimed_at < stale,  # type: ignore[operator]
                    ),
                )
                .values(original_delete_claimed_at=at)
            )
        else:
            statement = sqlmodel.update(PhotoJob).where(*mine).values(original_delete_claimed_at=None)
        result = session.exec(statement)  # type: ignore[call-overload]
        session.commit()
        return bool(result.rowcount)


def unsent_original_deletions(now: float | None = None) -> list[PhotoJob]:
    """Jobs whose final file is saved and whose original's deletion was claimed more than
    ``DELETE_CLAIM_STALE_S`` ago and never confirmed (restart and takeover paths only; each is
    then handled with its own ``owner_id``)."""
    stale = (time.time() if now is None else now) - DELETE_CLAIM_STALE_S
    with rx.session() as session:
        jobs = list(
            session.exec(
                sqlmodel.select(PhotoJob).where(
                    PhotoJob.owner_id.is_not(None),  # type: ignore[union-attr]
                    PhotoJob.original_deleted == False,
                    PhotoJob.final_handle != "",
                    PhotoJob.original_delete_claimed_at.is_not(None),  # type: ignore[union-attr]
                    PhotoJob.original_delete_claimed_at < stale,  # type: ignore[operator]
                )
            )
        )
        for job in jobs:
            session.expunge(job)
        return jobs


def superseded_leftovers(older_than_s: float, now: float | None = None) -> list[PhotoJob]:
    """Jobs replaced by a newer photo before they ended, recorded over ``older_than_s`` ago, whose
    original is not deleted yet and not being deleted (a claim older than ``DELETE_CLAIM_STALE_S``
    counts as given up). Their follower, if any, is long gone: the sweep clears them."""
    at = time.time() if now is None else now
    with rx.session() as session:
        jobs = list(
            session.exec(
                sqlmodel.select(PhotoJob).where(
                    PhotoJob.owner_id.is_not(None),  # type: ignore[union-attr]
                    PhotoJob.status == JobStatus.SUPERSEDED,
                    PhotoJob.original_deleted == False,
                    PhotoJob.created_at < at - older_than_s,
                    sqlalchemy.or_(
                        PhotoJob.original_delete_claimed_at.is_(None),  # type: ignore[union-attr]
                        PhotoJob.original_delete_claimed_at < at - DELETE_CLAIM_STALE_S,  # type: ignore[operator]
                    ),
                )
            )
        )
        for job in jobs:
            session.expunge(job)
        return jobs


def dismiss_failed_job(owner_id: int, photo_job_id: int) -> bool:
    """Hide one of the owner's failed jobs from the page (the row and its kept original stay)."""
    with rx.session() as session:
        result = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(PhotoJob)
            .where(
                PhotoJob.id == photo_job_id,
                PhotoJob.owner_id == owner_id,
                PhotoJob.status == JobStatus.FAILED,
            )
            .values(dismissed=True)
        )
        session.commit()
        return bool(result.rowcount)


def get_job(owner_id: int, photo_job_id: int) -> PhotoJob | None:
    """One of the owner's job rows, or ``None`` (also for someone else's job)."""
    with rx.session() as session:
        return _detached(session, _owned_job(session, owner_id, photo_job_id))


def open_job(owner_id: int, slot: str) -> PhotoJob | None:
    """The owner's newest job of ``slot`` that is still being processed, if any."""
    with rx.session() as session:
        return _detached(
            session,
            session.exec(
                sqlmodel.select(PhotoJob)
                .where(
                    PhotoJob.owner_id == owner_id, PhotoJob.slot == slot, PhotoJob.status.in_(OPEN_STATUSES)
                )
                .order_by(PhotoJob.created_at.desc(), PhotoJob.id.desc())
            ).first(),
        )


def latest_job(owner_id: int, slot: str) -> PhotoJob | None:
    """The owner's newest job of ``slot`` whatever its state."""
    with rx.session() as session:
        return _detached(
            session,
            session.exec(
                sqlmodel.select(PhotoJob)
                .where(PhotoJob.owner_id == owner_id, PhotoJob.slot == slot)
                .order_by(PhotoJob.created_at.desc(), PhotoJob.id.desc())
            ).first(),
        )


def recent_jobs(owner_id: int, limit: int = 20) -> list[PhotoJob]:
    """The owner's newest jobs first."""
    with rx.session() as session:
        jobs = list(
            session.exec(
                sqlmodel.select(PhotoJob)
                .where(PhotoJob.owner_id == owner_id)
                .order_by(PhotoJob.created_at.desc(), PhotoJob.id.desc())
                .limit(limit)
            )
        )
        for job in jobs:
            session.expunge(job)
        return jobs


def uploads_since(owner_id: int, since: float) -> list[float]:
    """When the owner's uploads since ``since`` were recorded (for the upload rate limit)."""
    with rx.session() as session:
        return list(
            session.exec(
                sqlmodel.select(PhotoJob.created_at).where(
                    PhotoJob.owner_id == owner_id, PhotoJob.created_at > since
                )
            )
        )


def open_jobs_of_everyone() -> list[PhotoJob]:
    """For each owner and slot, the newest job still processing (restart and takeover paths only)."""
    with rx.session() as session:
        jobs = list(
            session.exec(
                sqlmodel.select(PhotoJob)
                .where(PhotoJob.owner_id.is_not(None), PhotoJob.status.in_(OPEN_STATUSES))  # type: ignore[union-attr]
                .order_by(PhotoJob.created_at.desc(), PhotoJob.id.desc())
            )
        )
        newest: dict[tuple[int, str], PhotoJob] = {}
        for job in jobs:
            session.expunge(job)
            newest.setdefault((job.owner_id or 0, job.slot), job)
        return list(newest.values())


def owned_handles(owner_id: int) -> list[str]:
    """Every file handle the owner's rows name and that may still exist: photos, finals, kept originals."""
    with rx.session() as session:
        handles: list[str] = []
        profile = _profile_of(session, owner_id)
        if profile is not None:
            handles += [getattr(profile, f"{slot}_handle") for slot in SLOTS]
        for job in session.exec(sqlmodel.select(PhotoJob).where(PhotoJob.owner_id == owner_id)):
            handles.append(job.final_handle)
            if not job.original_deleted:
                handles.append(job.original_handle)
    handles += replaced_photos.waiting_handles(owner_id)
    return list(dict.fromkeys(h for h in handles if h))


def delete_owner_rows(owner_id: int) -> None:
    """The owner's photo jobs and profile (their files are deleted first, through the client)."""
    with rx.session() as session:
        session.exec(sqlmodel.delete(PhotoJob).where(PhotoJob.owner_id == owner_id))  # type: ignore[call-overload]
        replaced_photos.delete_rows_of(session, owner_id)
        session.exec(sqlmodel.delete(Profile).where(Profile.owner_id == owner_id))  # type: ignore[call-overload]
        session.commit()
