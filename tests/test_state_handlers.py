"""The page's event handlers without a browser: what a signed-in person would see change in the state."""

from __future__ import annotations

import io
from pathlib import Path

import reflex as rx
from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import profile_store
from dashboard.slot_phase import SlotPhase
from dashboard.state import AvatarState, ProfileState


def _upload(name: str, data: bytes) -> list[rx.UploadFile]:
    return [rx.UploadFile(file=io.BytesIO(data), path=Path(name))]


async def _drain(generator) -> list:
    return [item async for item in generator]


async def test_upload_shows_preview_at_once_and_starts_following(env) -> None:
    ada = Person("ada")
    state = ada.state(AvatarState)
    events = await _drain(state.handle_upload(_upload("me.jpg", image_bytes(1200, 900))))
    assert "resize=" in state.photo_url and "/cdn/" in state.photo_url
    assert state.phase == SlotPhase.PROCESSING and state.message.startswith("Processing")
    job = profile_store.get_job(ada.id, state._photo_job_id)
    assert job is not None and job.workflow_job_id and job.status == "processing"
    assert any("follow_job" in str(e) for e in events if e is not None)


async def test_progress_read_after_its_upload_was_handled_changes_nothing(env) -> None:
    """The upload ends over HTTP before its last progress events are read from the websocket: the
    slot goes on saying Processing (and then Saved), while a newer photo's progress is shown."""
    ada = Person("ada")
    state = ada.state(AvatarState)
    await _drain(state.handle_upload(_upload("me.jpg", image_bytes(1200, 900)), "", 1))
    assert state.phase == SlotPhase.PROCESSING
    state.on_progress({"loaded": 75, "total": 100, "progress": 0.75}, 1)
    assert state.phase == SlotPhase.PROCESSING and state.message.startswith("Processing")
    state.on_progress({"loaded": 10, "total": 100, "progress": 0.1}, 2)  # the next photo chosen
    assert state.phase == SlotPhase.UPLOADING and state.message == "Uploading… 10%"


async def test_signed_out_upload_stores_nothing(env) -> None:
    stranger = rx.State()
    state = stranger.get_substate(AvatarState.get_full_name().split("."))
    events = await _drain(state.handle_upload(_upload("me.jpg", image_bytes(300, 300))))
    assert any("login" in str(e) for e in events)
    assert state.photo_url == "" and state.phase == SlotPhase.IDLE


async def test_text_file_is_refused_and_photo_stays(env) -> None:
    ada = Person("ada")
    state = ada.state(AvatarState)
    state._saved_url = state.photo_url = "http://testserver/cdn/AAAAAAAAAAAAAAAAAAAA"
    await _drain(state.handle_upload(_upload("holiday.jpg", b"not a picture at all\n" * 40)))
    assert state.photo_url == "http://testserver/cdn/AAAAAAAAAAAAAAAAAAAA"
    assert "not an image" in state.message and state.phase == SlotPhase.REJECTED
    assert profile_store.latest_job(ada.id, "avatar") is None


def test_dropzone_rejection_explains_why() -> None:
    state = AvatarState()
    # The browser sends a summary of the refused file (never the file): name, size, type, codes.
    state.on_rejected(
        [{"name": "x.exe", "size": 1234, "type": "application/x-msdownload", "codes": ["file-invalid-type"]}]
    )
    assert state.message.startswith("x.exe is not a photo we can use. Choose a JPEG, PNG")
    assert state.phase == SlotPhase.REJECTED and not state.can_retry
    state.on_rejected(
        [{"name": "big.jpg", "size": 30 * 1024 * 1024, "type": "image/jpeg", "codes": ["file-too-large"]}]
    )
    assert state.message == "big.jpg is 30.0 MB; the largest photo you can use is 25.0 MB."


async def test_reload_during_processing_picks_the_job_up(env) -> None:
    ada = Person("ada")
    first = ada.state(AvatarState)
    await _drain(first.handle_upload(_upload("me.jpg", image_bytes(900, 900))))
    reloaded = Person.__new__(Person)
    reloaded.root = rx.State()
    reloaded.state(AvatarState).session_token = ada.token
    again = reloaded.state(AvatarState)
    follow = await again.load_slot()
    assert again.phase == SlotPhase.PROCESSING and again._photo_job_id == first._photo_job_id
    assert "resize=" in again.photo_url
    assert follow is not None and "follow_job" in str(follow)


async def test_profile_fields_are_saved(env) -> None:
    ada = Person("ada")
    state = ada.state(ProfileState)
    await state.load()
    assert state.name == "ada" and state.public_path == "/u/ada"
    state.start_editing("bio")
    await state.save_field("bio", {"value": "  Builds engines.  "})
    assert state.bio == "Builds engines." and not state.editing["bio"]
    assert profile_store.load_profile(ada.id).bio == "Builds engines."
    state.start_editing("name")
    await state.save_field("name", {"value": "   "})
    assert state.errors["name"] == "The name cannot be empty." and state.editing["name"]
    assert profile_store.load_profile(ada.id).name == state.name != ""
