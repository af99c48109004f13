"""Retrying failed photos is limited per person, like uploading: past the limit nothing runs, the page says when."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import reflex as rx
from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import photo_jobs, profile_store
from dashboard.state import AvatarState, photo


async def _drain(generator) -> list:
    return [item async for item in generator]


async def _failed_photo(person: Person, settings) -> int:
    """A truncated JPEG uploaded through the page's handler, its job followed until it failed."""
    jpeg = image_bytes(900, 700)
    state = person.state(AvatarState)
    upload = [rx.UploadFile(file=io.BytesIO(jpeg[: len(jpeg) // 4]), path=Path("cut.jpg"))]
    await _drain(state.handle_upload(upload))
    job = await photo_jobs.follow(person.id, state._photo_job_id, settings=settings)
    assert job.status == "failed" and not job.original_deleted
    # A damaged file is never offered a retry; make it a failure a retry could fix (a timeout).
    profile_store.update_job(person.id, int(job.id), error="the workflow did not finish within 120 s")
    return int(job.id)


async def test_retries_past_the_limit_start_nothing(env, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _service, _http = env
    limited = settings.model_copy(update={"retry_rate_limit": 1})
    monkeypatch.setattr(photo, "get_settings", lambda: limited)
    ada, bob = Person("ada"), Person("bob")
    job_id = await _failed_photo(ada, settings)

    events = await _drain(ada.state(AvatarState).retry_job(job_id))  # the first retry runs
    assert any("follow_job" in str(event) for event in events)
    again = await photo_jobs.follow(ada.id, job_id, settings=settings)  # and fails again
    assert again.status == "failed"
    profile_store.update_job(ada.id, job_id, error="the workflow did not finish within 120 s")
    started = again.jobid

    events = await _drain(ada.state(AvatarState).retry_job(job_id))
    assert any("You have retried 1 photos in the last 10 minutes" in str(event) for event in events), events
    assert not any("follow_job" in str(event) for event in events)
    kept = profile_store.get_job(ada.id, job_id)
    assert kept.status == "failed" and kept.jobid == started  # no workflow started

    # Someone else's retries are counted apart.
    bob_job = await _failed_photo(bob, settings)
    events = await _drain(bob.state(AvatarState).retry_job(bob_job))
    assert any("follow_job" in str(event) for event in events)
