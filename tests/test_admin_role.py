"""Who is an admin: the first account ever created, and those ADMIN_USERNAMES names."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from app_env import PASSWORD, clear_tables
from reflex.model import _alembic_upgrade

from dashboard.accounts import store
from dashboard.settings import Settings
from dashboard.studio_access import ADMIN, can_use_studio, viewer_of

BEFORE_ADMINS = "a6581edaa698"


def test_the_first_account_is_the_admin_and_stays_the_only_one_by_being_first() -> None:
    clear_tables()
    first = store.create_account("ada", PASSWORD, ttl_s=60)
    second = store.create_account("bob", PASSWORD, ttl_s=60)
    assert first.account.is_admin and not second.account.is_admin
    resolved = store.resolve_session(first.token, ttl_s=60)
    assert resolved is not None and resolved.is_admin
    # The first account goes: nobody becomes admin by being the oldest left.
    store.delete_account_rows(first.account.account_id)
    third = store.create_account("carol", PASSWORD, ttl_s=60)
    assert not third.account.is_admin
    assert not store.resolve_session(second.token, ttl_s=60).is_admin  # type: ignore[union-attr]


def test_admin_usernames_name_more_admins_whatever_their_case() -> None:
    settings = Settings(admin_usernames=" Bob ,, CAROL ")
    assert settings.admins == frozenset({"bob", "carol"})
    bob = store.SignedIn(account_id=7, username="bob")
    dave = store.SignedIn(account_id=8, username="dave")
    assert ADMIN in viewer_of(bob, settings.admins).roles and can_use_studio(viewer_of(bob, settings.admins))
    assert not can_use_studio(viewer_of(dave, settings.admins))
    assert not can_use_studio(viewer_of(None, settings.admins))
    assert can_use_studio(viewer_of(store.SignedIn(account_id=1, username="ada", is_admin=True), frozenset()))


def test_upgrading_a_database_with_accounts_makes_the_oldest_the_admin(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as connection:
        _alembic_upgrade(connection, BEFORE_ADMINS)
        for name in ("zed", "amy"):
            connection.execute(
                sa.text(
                    "INSERT INTO account (username, password_hash, created_at, password_changed_at)"
                    " VALUES (:name, 'x', 0, 0)"
                ),
                {"name": name},
            )
        connection.commit()
        _alembic_upgrade(connection, "head")
        connection.commit()
        rows = connection.execute(sa.text("SELECT username, is_admin FROM account ORDER BY id")).all()
        assert [(name, bool(admin)) for name, admin in rows] == [("zed", True), ("amy", False)]
        assert connection.execute(sa.text("SELECT slot, account_id FROM firstaccount")).all() == [(1, 1)]
