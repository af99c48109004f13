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

from dashboard.models import OPEN_STATUSES, SLOTS, JobStatus, PhotoJob, Profile, Slot

#: PostgreSQL advisory lock held while the schema is brought up to date, so app workers
#: starting together migrate one after the other.
_SCHEMA_LOCK = 8_424_003

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


def _set_job_fields(job: PhotoJob, fields: dict[str, Any]) -> None:
    for key, value in fields.items():
        if key == "tasks" and isinstance(value, dict):
            job.tasks_json = json.dumps(value)
            continue
        if key in ("id", "owner_id"):
            raise AttributeError(f"photo job field {key!r} cannot change")
        setattr(job, key, value)


def update_job(owner_id: int, photo_job_id: int, /, **fields: Any) -> PhotoJob:
    """Change some fields of one of the owner's job rows."""
    with rx.session() as session:
        job = _owned_job(session, owner_id, photo_job_id)
        if job is None:
            raise LookupError(f"photo job {photo_job_id} not found")
        _set_job_fields(job, fields)
        session.add(job)
        session.commit()
        session.refresh(job)
        return _detached(session, job)


def save_final(owner_id: int, photo_job_id: int, url: str, handle: str, /, **fields: Any) -> PhotoJob:
    """End a processing job with its final photo, in one transaction: the photo becomes the slot's
    (unless a newer upload of the slot exists: the job is then ``superseded``) and the row takes
    ``fields``. A job that is no longer processing only takes ``fields`` (finishing again saves nothing)."""
    with rx.session() as session:
        job = _owned_job(session, owner_id, photo_job_id)
        if job is None:
            raise LookupError(f"photo job {photo_job_id} not found")
        if job.status == JobStatus.PROCESSING:
            latest = session.exec(
                sqlmodel.select(PhotoJob.id)
                .where(PhotoJob.owner_id == owner_id, PhotoJob.slot == job.slot)
                .order_by(PhotoJob.created_at.desc(), PhotoJob.id.desc())
            ).first()
            if latest == job.id:
                profile = _profile_of(session, owner_id)
                if profile is None:
                    raise LookupError(f"account {owner_id} has no profile")
                slot = Slot(job.slot)
                setattr(profile, f"{slot}_url", url)
                setattr(profile, f"{slot}_handle", handle)
                profile.updated_at = time.time()
                session.add(profile)
            else:
                fields = {**fields, "status": JobStatus.SUPERSEDED}
        _set_job_fields(job, fields)
        session.add(job)
        session.commit()
        session.refresh(job)
        return _detached(session, job)


def claim_original_delete(owner_id: int, photo_job_id: int, claimed: bool = True) -> bool:
    """Mark a job's original as deleted (or not) in one conditional statement.

    ``True`` only for the one caller that changed the flag, so among app workers
    finishing the same job at once exactly one deletes the original.
    """
    with rx.session() as session:
        result = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(PhotoJob)
            .where(
                PhotoJob.id == photo_job_id,
                PhotoJob.owner_id == owner_id,
                PhotoJob.original_deleted == (not claimed),
            )
            .values(original_deleted=claimed)
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
    return list(dict.fromkeys(h for h in handles if h))


def delete_owner_rows(owner_id: int) -> None:
    """The owner's photo jobs and profile (their files are deleted first, through the client)."""
    with rx.session() as session:
        session.exec(sqlmodel.delete(PhotoJob).where(PhotoJob.owner_id == owner_id))  # type: ignore[call-overload]
        session.exec(sqlmodel.delete(Profile).where(Profile.owner_id == owner_id))  # type: ignore[call-overload]
        session.commit()
