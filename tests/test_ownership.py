"""Two people at once: nobody reaches another person's jobs, photos or files, even with crafted events."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
import reflex as rx
from app_env import PASSWORD, Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import photo_jobs, profile_store
from dashboard.accounts import store
from dashboard.slot_phase import SlotPhase
from dashboard.state import (
    AccountState,
    ActivityState,
    AvatarState,
    CoverState,
    ProfileState,
    PublicProfileState,
)


def _upload(name: str, data: bytes) -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name))]


async def _drain(generator) -> list:
    return [item async for item in generator]


async def _photo(person: Person, slot_state, data: bytes, name: str, settings):
    """Upload through the page's handler, then follow the job to its end."""
    state = person.state(slot_state)
    await _drain(state.handle_upload(_upload(name, data)))
    return await photo_jobs.follow(person.id, state._photo_job_id, settings=settings)


async def _status(http, handle: str, settings) -> int:
    return (await http.get(photo_jobs.photo_url(handle, settings))).status_code


async def test_b_cannot_retry_follow_finish_or_see_a_jobs(env, caplog) -> None:
    settings, _service, _http = env
    ada, bob = Person("ada"), Person("bob")
    jpeg = image_bytes(1200, 900)
    failed = await _photo(ada, AvatarState, jpeg[: len(jpeg) // 4], "cut.jpg", settings)
    assert failed.status == "failed" and not failed.original_deleted
    # A damaged file is never offered a retry; make it a failure a retry could fix (a timeout).
    failed = profile_store.update_job(ada.id, failed.id, error="the workflow did not finish within 120 s")
    before = profile_store.get_job(ada.id, failed.id)

    # A crafted event from Bob's browser naming Ada's photo job id.
    bob_avatar = bob.state(AvatarState)
    with caplog.at_level(logging.WARNING, logger="dashboard.state.photo"):
        events = await _drain(bob_avatar.retry_job(failed.id))
    assert any("nothing to retry" in str(e) for e in events)
    assert f"asked to retry photo job {failed.id}" in caplog.text and "not theirs" in caplog.text
    assert bob_avatar.phase == SlotPhase.IDLE and bob_avatar.photo_url == "" and bob_avatar._photo_job_id == 0
    assert profile_store.get_job(ada.id, failed.id) == before  # nothing changed
    # The cover slot does not take an avatar job either, even the owner's own.
    await _drain(ada.state(CoverState).retry_job(failed.id))
    assert profile_store.get_job(ada.id, failed.id) == before

    # Following or finishing Ada's job as Bob finds nothing.
    with pytest.raises(LookupError):
        await photo_jobs.follow(bob.id, failed.id, settings=settings)
    async with photo_jobs.open_client(settings) as fs:
        status = await fs.workflow_status(failed.workflow_job_id)
    with pytest.raises(LookupError):
        await photo_jobs.finish(bob.id, failed.id, status, settings)
    assert profile_store.get_job(ada.id, failed.id) == before

    # Bob's page shows none of Ada's jobs, photos or text.
    await bob_avatar.load_slot()
    assert bob_avatar._photo_job_id == 0 and bob_avatar.phase == SlotPhase.IDLE and not bob_avatar.can_retry
    activity = bob.state(ActivityState)
    await activity.refresh()
    assert activity.jobs == []
    await ada.state(ActivityState).refresh()
    assert [row.id for row in ada.state(ActivityState).jobs] == [failed.id]
    assert ada.state(ActivityState).jobs[0].can_retry

    # Ada's own retry from the activity panel works.
    events = await _drain(ada.state(AvatarState).retry_job(failed.id))
    assert any("follow_job" in str(e) for e in events)
    assert profile_store.get_job(ada.id, failed.id).status == "processing"


async def test_each_person_edits_only_their_own_profile(env) -> None:
    ada, bob = Person("ada"), Person("bob")
    for person, bio in ((ada, "Engines."), (bob, "Bridges.")):
        state = person.state(ProfileState)
        await state.load()
        state.start_editing("bio")
        await state.save_field("bio", {"value": bio})
    assert profile_store.find_profile(ada.id).bio == "Engines."
    assert profile_store.find_profile(bob.id).bio == "Bridges."


async def test_restart_resumes_every_persons_open_job_for_its_owner(env) -> None:
    settings, _service, _http = env
    ada, bob = Person("ada"), Person("bob")
    for person in (ada, bob):
        await _drain(person.state(AvatarState).handle_upload(_upload("me.jpg", image_bytes(700, 700))))
    assert await photo_jobs.resume_open_jobs(settings) == 2
    for person in (ada, bob):
        job = profile_store.latest_job(person.id, "avatar")
        assert job.status == "finished", job.error
        assert profile_store.find_profile(person.id).avatar_handle == job.final_handle


async def test_public_page_shows_only_final_photos(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    done = await _photo(ada, AvatarState, image_bytes(1600, 1200), "me.jpg", settings)
    assert done.status == "finished"
    # A second upload is still processing: its preview must not reach the public page.
    processing = ada.state(AvatarState)
    await _drain(processing.handle_upload(_upload("new.jpg", image_bytes(900, 900))))
    job = profile_store.get_job(ada.id, processing._photo_job_id)

    visitor = rx.State().get_substate(PublicProfileState.get_full_name().split("."))
    await visitor.show("Ada")
    assert visitor.found and visitor.shown_username == "ada" and not visitor.is_owner
    assert visitor.avatar_url.split("/")[-1] == done.final_handle and "resize=" not in visitor.avatar_url
    shown = str(visitor.dict())
    assert job.original_handle not in shown and "resize=" not in shown
    response = await http.get(visitor.avatar_url)
    assert response.status_code == 200

    await visitor.show("nobody")
    assert visitor.loaded and not visitor.found and visitor.avatar_url == ""


async def test_deleting_a_removes_a_files_and_rows_and_leaves_b(env) -> None:
    settings, _service, http = env
    ada, bob = Person("ada"), Person("bob")
    avatar = await _photo(ada, AvatarState, image_bytes(900, 900), "me.jpg", settings)
    cover = await _photo(ada, CoverState, image_bytes(1800, 900), "cover.jpg", settings)
    jpeg = image_bytes(1800, 900)
    failed = await _photo(ada, CoverState, jpeg[: len(jpeg) // 4], "cut.jpg", settings)
    bobs = await _photo(bob, AvatarState, image_bytes(800, 800), "bob.jpg", settings)
    ada_handles = [avatar.final_handle, cover.final_handle, failed.original_handle]
    for handle in ada_handles + [bobs.final_handle]:
        assert await _status(http, handle, settings) == 200

    account = ada.state(AccountState)
    await _drain(account.delete_account({"password": "not my password"}))
    assert "nothing was deleted" in account.error
    assert await _status(http, avatar.final_handle, settings) == 200

    events = await _drain(account.delete_account({"password": PASSWORD}))
    assert any("/login" in str(e) for e in events)
    for handle in ada_handles:
        assert await _status(http, handle, settings) == 404
    assert await _status(http, bobs.final_handle, settings) == 200
    assert store.resolve_session(ada.token, ttl_s=3600) is None and store.find_account("ada") is None
    assert profile_store.find_profile(ada.id) is None and profile_store.recent_jobs(ada.id) == []
    assert ada.state(AccountState).session_token == "" and ada.state(AvatarState).photo_url == ""
    # Bob keeps everything.
    assert profile_store.find_profile(bob.id).avatar_handle == bobs.final_handle
    visitor = rx.State().get_substate(PublicProfileState.get_full_name().split("."))
    await visitor.show("ada")
    assert not visitor.found
    await visitor.show("bob")
    assert visitor.found
