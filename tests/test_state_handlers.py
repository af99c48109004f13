"""The page's event handlers without a browser: what the person would see change in the state."""

from __future__ import annotations

import io
from pathlib import Path

import reflex as rx

from dashboard import profile_store
from dashboard.state import AvatarState, ProfileState
from app_env import env  # noqa: F401  (fixture)
from local_service import image_bytes


def _upload(name: str, data: bytes) -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name))]


async def _drain(generator) -> list:
    return [item async for item in generator]


async def test_upload_shows_preview_at_once_and_starts_following(env) -> None:
    state = AvatarState()
    events = await _drain(state.handle_upload(_upload("me.jpg", image_bytes(1200, 900))))
    assert "resize=" in state.photo_url and "/cdn/" in state.photo_url
    assert state.phase == "processing" and state.message.startswith("Processing")
    job = profile_store.get_job(state.job_id)
    assert job is not None and job.jobid and job.status == "processing"
    assert any(getattr(e, "fn", None) is not None and "follow_job" in str(e) for e in events if e is not None)


async def test_text_file_is_refused_and_photo_stays(env) -> None:
    state = AvatarState()
    state.saved_url = state.photo_url = "http://testserver/cdn/AAAAAAAAAAAAAAAAAAAA"
    await _drain(state.handle_upload(_upload("holiday.jpg", b"not a picture at all\n" * 40)))
    assert state.photo_url == "http://testserver/cdn/AAAAAAAAAAAAAAAAAAAA"
    assert "not an image" in state.message and state.phase == "rejected"
    assert profile_store.latest_job("avatar") is None


def test_dropzone_rejection_explains_why() -> None:
    state = AvatarState()
    state.on_rejected([{"file": {"name": "x.exe"}, "errors": [{"code": "file-invalid-type", "message": "File type must be image/*"}]}])
    assert "File type must be image/*" in state.message
    assert state.phase == "rejected"


async def test_reload_during_processing_picks_the_job_up(env) -> None:
    first = AvatarState()
    await _drain(first.handle_upload(_upload("me.jpg", image_bytes(900, 900))))
    reloaded = AvatarState()
    follow = await reloaded.load_slot()
    assert reloaded.phase == "processing" and reloaded.job_id == first.job_id
    assert reloaded.photo_url == first.photo_url
    assert follow is not None and "follow_job" in str(follow)


async def test_profile_fields_are_saved(env) -> None:
    state = ProfileState()
    await state.load()
    assert state.name  # a default profile
    state.start_editing("bio")
    await state.save_field({"value": "  Builds engines.  "})
    assert state.bio == "Builds engines." and state.editing == ""
    assert profile_store.load_profile().bio == "Builds engines."
    state.start_editing("name")
    await state.save_field({"value": "   "})
    assert profile_store.load_profile().name == state.name != ""
