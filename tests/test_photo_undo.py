"""Remove and undo: a photo that leaves its slot is kept for the undo window, then deleted, also after a restart.

The app's own code against the embedded service in-process (security required), on a fresh database.
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import pytest
from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import photo_jobs, photo_undo, profile_store, replaced_photos


async def _saved(person: Person, slot: str, settings, size=(900, 700)) -> str:
    """Upload a photo through the whole workflow; returns the final handle now in the slot."""
    job = await photo_jobs.upload(person.id, slot, image_bytes(*size), "me.jpg", settings)
    job = await photo_jobs.follow(
        person.id, (await photo_jobs.run_workflow(job, settings)).id, settings=settings
    )
    assert job.status == "finished", job.error
    return job.final_handle


async def _status(http, handle: str, settings) -> int:
    return (await http.get(photo_jobs.photo_url(handle, settings))).status_code


async def test_a_new_photo_keeps_the_old_one_until_the_window_ends(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    first = await _saved(ada, "avatar", settings)
    second = await _saved(ada, "avatar", settings)
    assert profile_store.find_profile(ada.id).avatar_handle == second
    # Inside the window nothing is deleted.
    assert await photo_undo.delete_due(settings) == 0
    assert await _status(http, first, settings) == 200
    # After it, the old final file goes and the new one stays.
    assert await photo_undo.delete_due(settings, now=time.time() + settings.photo_undo_window_s + 1) >= 1
    assert await _status(http, first, settings) == 404
    assert await _status(http, second, settings) == 200


async def test_undo_puts_the_previous_photo_back_and_deletes_the_new_one(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    first = await _saved(ada, "cover", settings, (1800, 900))
    second = await _saved(ada, "cover", settings, (1800, 900))
    row = await photo_undo.undo(ada.id, "cover", settings)
    assert row is not None and row.handle == first
    profile = profile_store.find_profile(ada.id)
    assert profile.cover_handle == first and profile.cover_url
    assert await _status(http, second, settings) == 404
    assert await _status(http, first, settings) == 200
    # The first photo's own window never deletes it now; a second undo finds nothing.
    await photo_undo.delete_due(settings, now=time.time() + 3600)
    assert await _status(http, first, settings) == 200
    assert await photo_undo.undo(ada.id, "cover", settings) is None


async def test_undo_of_a_first_photo_returns_to_the_placeholder(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    only = await _saved(ada, "avatar", settings)
    row = await photo_undo.undo(ada.id, "avatar", settings)
    assert row is not None and row.handle == "" and photo_undo.shown_url(row, settings) == ""
    assert profile_store.find_profile(ada.id).avatar_handle == ""
    assert await _status(http, only, settings) == 404


async def test_remove_then_undo_then_remove_and_let_the_window_pass(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    photo = await _saved(ada, "avatar", settings)
    await photo_undo.remove(ada.id, "avatar", settings)
    assert profile_store.find_profile(ada.id).avatar_handle == ""
    assert await _status(http, photo, settings) == 200  # kept during the window
    assert (await photo_undo.undo(ada.id, "avatar", settings)).handle == photo
    assert profile_store.find_profile(ada.id).avatar_handle == photo

    await photo_undo.remove(ada.id, "avatar", settings)
    await photo_undo.delete_due(settings, now=time.time() + settings.photo_undo_window_s + 1)
    assert await _status(http, photo, settings) == 404
    assert await photo_undo.undo(ada.id, "avatar", settings) is None  # too late
    with pytest.raises(photo_undo.NothingToRemove):
        await photo_undo.remove(ada.id, "avatar", settings)


async def test_undo_takes_back_the_newest_change_only(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    first = await _saved(ada, "avatar", settings)
    await photo_undo.remove(ada.id, "avatar", settings)
    second = await _saved(ada, "avatar", settings)
    # Undo takes back the newest change first: second -> the placeholder.
    row = await photo_undo.undo(ada.id, "avatar", settings)
    assert row is not None and row.replaced_by_handle == second
    assert profile_store.find_profile(ada.id).avatar_handle == ""
    # One change is taken back: undo again does nothing, and the first photo goes when its window ends.
    assert await photo_undo.undo(ada.id, "avatar", settings) is None
    assert profile_store.find_profile(ada.id).avatar_handle == ""
    await photo_undo.delete_due(settings, now=time.time() + settings.photo_undo_window_s + 1)
    assert await _status(http, first, settings) == 404


async def test_nobody_undoes_someone_elses_change(env) -> None:
    settings, _service, http = env
    ada, bob = Person("ada"), Person("bob")
    photo = await _saved(ada, "avatar", settings)
    await photo_undo.remove(ada.id, "avatar", settings)
    assert await photo_undo.undo(bob.id, "avatar", settings) is None
    assert profile_store.find_profile(ada.id).avatar_handle == ""
    assert profile_store.find_profile(bob.id).avatar_handle == ""
    assert await _status(http, photo, settings) == 200


async def test_deletions_due_while_the_app_was_down_happen_at_the_next_start(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    photo = await _saved(ada, "cover", settings, (1800, 900))
    row = await photo_undo.remove(ada.id, "cover", settings)
    # The app stopped inside the window; it starts again after the window ended.
    replaced_photos.release(ada.id, row.id, time.time() - 1)
    deleter = asyncio.create_task(photo_undo.run_deleter(settings))
    try:
        async with asyncio.timeout(20):
            while await _status(http, photo, settings) != 404:
                await asyncio.sleep(0.05)
    finally:
        deleter.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await deleter
    # Settled: the removal is no longer waiting (only the first photo's own, empty, change is).
    assert row.id not in [r.id for r in replaced_photos.due(now=time.time() + 3600)]
    assert all(r.handle == "" for r in replaced_photos.due(now=time.time() + 3600))


async def test_a_deletion_is_claimed_once(env) -> None:
    settings, _service, _http = env
    ada = Person("ada")
    await _saved(ada, "avatar", settings)
    row = await photo_undo.remove(ada.id, "avatar", settings)
    assert replaced_photos.claim_deletion(ada.id, row.id)
    assert not replaced_photos.claim_deletion(ada.id, row.id)
    assert await photo_undo.undo(ada.id, "avatar", settings) is None  # claimed: too late for undo


async def test_deleting_the_account_deletes_the_files_kept_for_undo(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    photo = await _saved(ada, "avatar", settings)
    await photo_undo.remove(ada.id, "avatar", settings)
    await photo_jobs.delete_everything_of(ada.id, settings)
    assert await _status(http, photo, settings) == 404
    assert replaced_photos.waiting_handles(ada.id) == []


def _upgrade_and_compare(url: str) -> None:
    """``alembic upgrade head`` from the previous revision (a failed job in it): nothing left for autogenerate."""
    import sqlalchemy as sa
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from reflex.model import _alembic_upgrade

    from dashboard.models import DashboardTable

    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            _alembic_upgrade(connection, "d4e2b7a91c05")
            connection.execute(
                sa.text(
                    "INSERT INTO photojob (slot, original_handle, filename, workflow_id, jobid, status, preview_url,"
                    " final_url, final_handle, error, original_deleted, tasks_json, created_at)"
                    " VALUES ('avatar', 'ORIGINAL000000000000', 'me.jpg', '', 'j', 'failed', '', '', '', '',"
                    " false, '{}', 0)"
                )
            )
            connection.commit()
            _alembic_upgrade(connection, "head")
            connection.commit()
            assert connection.execute(sa.text("SELECT dismissed FROM photojob")).scalars().all() == [False]
            assert compare_metadata(MigrationContext.configure(connection), DashboardTable.metadata) == []
    finally:
        engine.dispose()


def test_the_migration_gives_the_tables_the_models_describe(tmp_path) -> None:
    _upgrade_and_compare(f"sqlite:///{tmp_path / 'before.db'}")


def test_the_migration_on_postgresql() -> None:
    from scale_support import postgres_schema

    with postgres_schema() as dsn:
        _upgrade_and_compare("postgresql+psycopg://" + dsn.split("://", 1)[1])
