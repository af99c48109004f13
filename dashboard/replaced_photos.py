"""Photos taken out of a slot, kept for their undo window: the rows, always per owner.

When a new photo is saved in a slot, or the person removes the slot's photo, the file that
left the slot is not deleted at once: a ``replacedphoto`` row keeps it until ``due_at``
(the undo window). Undo before then puts it back, in the same transaction that checks the
slot still shows the photo that replaced it. After ``due_at`` one app worker claims the row
and deletes the file (:mod:`dashboard.photo_undo`).

Plain synchronous functions over Reflex's SQLModel sessions, like :mod:`dashboard.profile_store`;
callers use ``asyncio.to_thread``.
"""

from __future__ import annotations

import time

import reflex as rx
import sqlmodel

from dashboard.models import SLOTS, Profile, ReplacedPhoto, ReplacedState, Slot


def _detached(session: sqlmodel.Session, row: ReplacedPhoto | None) -> ReplacedPhoto | None:
    if row is not None:
        session.expunge(row)
    return row


def _profile_of(session: sqlmodel.Session, owner_id: int) -> Profile | None:
    return session.exec(sqlmodel.select(Profile).where(Profile.owner_id == owner_id)).first()


def replace_photo(
    owner_id: int, slot: str, url: str, handle: str, window_s: float, now: float | None = None
) -> ReplacedPhoto:
    """Put ``handle`` in the slot (``""``: remove the photo) and keep the one it replaces for ``window_s``.

    One transaction: the profile changes and the row naming the photo that left is written
    together, so a crash never loses the old file's deletion nor deletes a photo still shown.
    """
    slot = Slot(slot)
    now = time.time() if now is None else now
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        if profile is None:
            raise LookupError(f"account {owner_id} has no profile")
        row = ReplacedPhoto(
            owner_id=owner_id,
            slot=slot,
            handle=getattr(profile, f"{slot}_handle"),
            url=getattr(profile, f"{slot}_url"),
            replaced_by_handle=handle,
            created_at=now,
            due_at=now + window_s,
        )
        setattr(profile, f"{slot}_handle", handle)
        setattr(profile, f"{slot}_url", url)
        profile.updated_at = now
        session.add(profile)
        session.add(row)
        session.commit()
        session.refresh(row)
        return _detached(session, row)  # type: ignore[return-value]


def undoable(owner_id: int, slot: str, now: float | None = None) -> ReplacedPhoto | None:
    """The change Undo would take back: the slot's newest change, if its window is open and the slot
    still shows what it put there. Undo takes back one change; the undo itself ends the history."""
    now = time.time() if now is None else now
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        row = session.exec(
            sqlmodel.select(ReplacedPhoto)
            .where(ReplacedPhoto.owner_id == owner_id, ReplacedPhoto.slot == Slot(slot))
            .order_by(ReplacedPhoto.created_at.desc(), ReplacedPhoto.id.desc())  # type: ignore[union-attr]
        ).first()
        if row is None or row.state != ReplacedState.WAITING or row.due_at <= now:
            return None  # only the newest change, inside its window (an undo is itself the newest change)
        if profile is None or getattr(profile, f"{row.slot}_handle") != row.replaced_by_handle:
            return None
        return _detached(session, row)


def undo(owner_id: int, slot: str, now: float | None = None) -> ReplacedPhoto | None:
    """Put back the photo of :func:`undoable`; return its row (now ``undone``), or ``None`` if too late.

    The row is claimed with a conditional update in the same transaction as the profile
    change, so an undo racing the deleter either wins (the file stays) or finds nothing.
    The replacement's file is scheduled for deletion at once (``due_at`` now).
    """
    now = time.time() if now is None else now
    row = undoable(owner_id, slot, now)
    if row is None:
        return None
    with rx.session() as session:
        claimed = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(ReplacedPhoto)
            .where(
                ReplacedPhoto.id == row.id,
                ReplacedPhoto.owner_id == owner_id,
                ReplacedPhoto.state == ReplacedState.WAITING,
            )
            .values(state=ReplacedState.UNDONE)
        )
        if not claimed.rowcount:
            session.rollback()
            return None
        profile = _profile_of(session, owner_id)
        if profile is None or getattr(profile, f"{row.slot}_handle") != row.replaced_by_handle:
            session.rollback()
            return None
        setattr(profile, f"{row.slot}_handle", row.handle)
        setattr(profile, f"{row.slot}_url", row.url)
        profile.updated_at = now
        session.add(profile)
        if row.replaced_by_handle:
            session.add(
                ReplacedPhoto(
                    owner_id=owner_id,
                    slot=row.slot,
                    handle=row.replaced_by_handle,
                    replaced_by_handle=row.handle,
                    created_at=now,
                    due_at=now,
                    state=ReplacedState.WAITING,
                )
            )
        session.commit()
    row.state = ReplacedState.UNDONE
    return row


def due(now: float | None = None, limit: int = 50) -> list[ReplacedPhoto]:
    """Waiting rows of every owner whose window has ended (the deleter's query; it then claims each)."""
    now = time.time() if now is None else now
    with rx.session() as session:
        rows = list(
            session.exec(
                sqlmodel.select(ReplacedPhoto)
                .where(ReplacedPhoto.state == ReplacedState.WAITING, ReplacedPhoto.due_at <= now)
                .order_by(ReplacedPhoto.due_at)
                .limit(limit)
            )
        )
        for row in rows:
            session.expunge(row)
        return rows


def next_due_at() -> float | None:
    """When the next waiting window ends (``None``: nothing waits)."""
    with rx.session() as session:
        return session.exec(
            sqlmodel.select(sqlmodel.func.min(ReplacedPhoto.due_at)).where(
                ReplacedPhoto.state == ReplacedState.WAITING
            )
        ).first()


def claim_deletion(owner_id: int, row_id: int) -> bool:
    """Claim a due row for deletion (one conditional update): ``True`` for exactly one caller."""
    with rx.session() as session:
        result = session.exec(  # type: ignore[call-overload]
            sqlmodel.update(ReplacedPhoto)
            .where(
                ReplacedPhoto.id == row_id,
                ReplacedPhoto.owner_id == owner_id,
                ReplacedPhoto.state == ReplacedState.WAITING,
            )
            .values(state=ReplacedState.DELETED)
        )
        session.commit()
        return bool(result.rowcount)


def release(owner_id: int, row_id: int, retry_at: float) -> None:
    """A deletion that failed: wait again until ``retry_at``."""
    with rx.session() as session:
        session.exec(  # type: ignore[call-overload]
            sqlmodel.update(ReplacedPhoto)
            .where(ReplacedPhoto.id == row_id, ReplacedPhoto.owner_id == owner_id)
            .values(state=ReplacedState.WAITING, due_at=retry_at)
        )
        session.commit()


def in_use(owner_id: int, handle: str) -> bool:
    """True when ``handle`` is one of the owner's slot photos right now (never delete that)."""
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        return profile is not None and handle in {getattr(profile, f"{slot}_handle") for slot in SLOTS}


def kept_handles(owner_id: int) -> set[str]:
    """Every file the owner's profile still uses: its slot photos and those waiting out an undo window."""
    with rx.session() as session:
        profile = _profile_of(session, owner_id)
        shown = {getattr(profile, f"{slot}_handle") for slot in SLOTS} if profile is not None else set()
    return {handle for handle in shown if handle} | set(waiting_handles(owner_id))


def waiting_handles(owner_id: int) -> list[str]:
    """The files the owner's waiting rows still keep (deleted with the account)."""
    with rx.session() as session:
        return [
            handle
            for handle in session.exec(
                sqlmodel.select(ReplacedPhoto.handle).where(
                    ReplacedPhoto.owner_id == owner_id, ReplacedPhoto.state == ReplacedState.WAITING
                )
            )
            if handle
        ]


def delete_rows_of(session: sqlmodel.Session, owner_id: int) -> None:
    """The owner's rows, inside the caller's transaction (account deletion)."""
    session.exec(sqlmodel.delete(ReplacedPhoto).where(ReplacedPhoto.owner_id == owner_id))  # type: ignore[call-overload]
