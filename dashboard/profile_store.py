"""Reading and writing the profile and its photo jobs in the app's database.

Plain synchronous functions over Reflex's SQLModel sessions; state handlers call
them through ``asyncio.to_thread`` so the event loop never waits on the disk.
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

from dashboard.models import SLOTS, PhotoJob, Profile

#: Jobs in these states are still being followed.
OPEN_STATES = ("uploaded", "processing")


#: PostgreSQL advisory lock held while the schema is brought up to date, so app workers
#: starting together migrate one after the other.
_SCHEMA_LOCK = 8_424_003


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


def load_profile() -> Profile:
    """The profile, created with its tasteful defaults on first use."""
    with rx.session() as session:
        profile = session.exec(sqlmodel.select(Profile).order_by(Profile.id)).first()
        if profile is None:
            profile = Profile()
            session.add(profile)
            session.commit()
            session.refresh(profile)
        session.expunge(profile)
        return profile


def update_profile(**fields: Any) -> Profile:
    """Change some fields of the profile and return it."""
    with rx.session() as session:
        profile = session.exec(sqlmodel.select(Profile).order_by(Profile.id)).first() or Profile()
        for key, value in fields.items():
            if not hasattr(profile, key):
                raise AttributeError(f"profile has no field {key!r}")
            setattr(profile, key, value)
        profile.updated_at = time.time()
        session.add(profile)
        session.commit()
        session.refresh(profile)
        session.expunge(profile)
        return profile


def set_photo(slot: str, url: str, handle: str) -> Profile:
    """Make a stored file the profile's photo for ``slot``."""
    if slot not in SLOTS:
        raise ValueError(f"unknown photo slot {slot!r}")
    return update_profile(**{f"{slot}_url": url, f"{slot}_handle": handle})


def add_job(slot: str, original_handle: str, filename: str, preview_url: str) -> PhotoJob:
    """Record a new upload; earlier open jobs of the slot are superseded."""
    with rx.session() as session:
        for old in session.exec(
            sqlmodel.select(PhotoJob).where(PhotoJob.slot == slot, PhotoJob.status.in_(OPEN_STATES))
        ):
            old.status = "superseded"
            session.add(old)
        job = PhotoJob(slot=slot, original_handle=original_handle, filename=filename, preview_url=preview_url)
        session.add(job)
        session.commit()
        session.refresh(job)
        session.expunge(job)
        return job


def update_job(job_id: int, **fields: Any) -> PhotoJob:
    """Change some fields of a job row."""
    with rx.session() as session:
        job = session.get(PhotoJob, job_id)
        if job is None:
            raise LookupError(f"photo job {job_id} not found")
        for key, value in fields.items():
            if key == "tasks" and isinstance(value, dict):
                job.tasks_json = json.dumps(value)
                continue
            setattr(job, key, value)
        session.add(job)
        session.commit()
        session.refresh(job)
        session.expunge(job)
        return job


def claim_original_delete(job_id: int, claimed: bool = True) -> bool:
    """Mark a job's original as deleted (or not) in one conditional statement.

    ``True`` only for the one caller that changed the flag, so among app workers
    finishing the same job at once exactly one deletes the original.
    """
    with rx.session() as session:
        result = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(PhotoJob)
            .where(PhotoJob.id == job_id, PhotoJob.original_deleted == (not claimed))
            .values(original_deleted=claimed)
        )
        session.commit()
        return bool(result.rowcount)


def get_job(job_id: int) -> PhotoJob | None:
    """One job row, or None."""
    with rx.session() as session:
        job = session.get(PhotoJob, job_id)
        if job is not None:
            session.expunge(job)
        return job


def open_job(slot: str) -> PhotoJob | None:
    """The newest job of ``slot`` that is still being processed, if any."""
    with rx.session() as session:
        job = session.exec(
            sqlmodel.select(PhotoJob)
            .where(PhotoJob.slot == slot, PhotoJob.status.in_(OPEN_STATES))
            .order_by(PhotoJob.created_at.desc())
        ).first()
        if job is not None:
            session.expunge(job)
        return job


def latest_job(slot: str) -> PhotoJob | None:
    """The newest job of ``slot`` whatever its state."""
    with rx.session() as session:
        job = session.exec(
            sqlmodel.select(PhotoJob).where(PhotoJob.slot == slot).order_by(PhotoJob.created_at.desc())
        ).first()
        if job is not None:
            session.expunge(job)
        return job


def recent_jobs(limit: int = 20) -> list[PhotoJob]:
    """The newest jobs first."""
    with rx.session() as session:
        jobs = list(
            session.exec(sqlmodel.select(PhotoJob).order_by(PhotoJob.created_at.desc()).limit(limit))
        )
        for job in jobs:
            session.expunge(job)
        return jobs
