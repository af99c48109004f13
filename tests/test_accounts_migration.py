"""The accounts migration on a database from before accounts: the old profile is kept, ownerless and unreachable."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from app_env import PASSWORD, clear_tables
from reflex.model import _alembic_upgrade

from dashboard import photo_jobs, profile_store
from dashboard.accounts import store
from dashboard.models import PhotoJob, Profile

BEFORE_ACCOUNTS = "8ecb42c67bf0"


def test_upgrade_keeps_the_old_profile_without_owner(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as connection:
        _alembic_upgrade(connection, BEFORE_ACCOUNTS)
        connection.execute(
            sa.text(
                "INSERT INTO profile (name, headline, bio, avatar_url, avatar_handle, cover_url, cover_handle, updated_at)"
                " VALUES ('Ada Lovelace', 'h', 'b', '', 'AVATARHANDLE00000000', '', '', 0)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO photojob (slot, original_handle, filename, workflow_id, jobid, status, preview_url,"
                " final_url, final_handle, error, original_deleted, tasks_json, created_at)"
                " VALUES ('avatar', 'ORIGINAL000000000000', 'me.jpg', '', 'j', 'processing', '', '', '', '', 0, '{}', 0)"
            )
        )
        connection.commit()
        _alembic_upgrade(connection, "head")
        connection.commit()
        assert connection.execute(sa.text("SELECT name, owner_id FROM profile")).all() == [
            ("Ada Lovelace", None)
        ]
        assert connection.execute(sa.text("SELECT owner_id FROM photojob")).all() == [(None,)]
        tables = set(sa.inspect(connection).get_table_names())
        assert {"account", "authsession", "signinfailure"} <= tables


async def test_ownerless_rows_are_never_shown_nor_resumed() -> None:
    clear_tables()
    import reflex as rx

    with rx.session() as session:
        session.add(Profile(owner_id=None, name="Ada Lovelace", avatar_handle="AVATARHANDLE00000000"))
        session.add(
            PhotoJob(owner_id=None, slot="avatar", original_handle="O" * 20, status="processing", jobid="x")
        )
        session.commit()
    opened = store.create_account("ada", PASSWORD, ttl_s=60)
    profile = profile_store.load_profile(opened.account.account_id, "ada")
    assert profile.name == "ada" and profile.avatar_handle == ""
    assert profile_store.open_jobs_of_everyone() == []
    assert profile_store.recent_jobs(opened.account.account_id) == []
    assert await photo_jobs.resume_open_jobs() == 0
