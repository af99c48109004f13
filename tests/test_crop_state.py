"""The crop dialog's handlers without a browser: a photo stored first (HEIC), framed, saved or cancelled."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pillow_heif
import pytest
import reflex as rx
from app_env import Person, env  # noqa: F401  (fixture)
from PIL import Image

from dashboard import profile_store
from dashboard.local_filestack.storage.files import FileNotFound
from dashboard.slot_phase import SlotPhase
from dashboard.state import AvatarState
from dashboard.state.crop import CropState

pillow_heif.register_heif_opener()


def _heic(size: tuple[int, int] = (1200, 600)) -> list[rx.UploadFile]:
    out = io.BytesIO()
    image = Image.new("RGB", size, (40, 60, 220))
    image.paste((220, 30, 30), (0, 0, size[0] // 2, size[1]))
    image.save(out, "HEIF", quality=80)
    return [rx.UploadFile(file=io.BytesIO(out.getvalue()), path=Path("IMG_0001.HEIC"))]


async def _drain(generator) -> list:
    return [item async for item in generator]


async def test_a_photo_the_browser_cannot_show_is_stored_then_framed(env) -> None:
    _settings, service, _http = env
    ada = Person("ada")
    crop = ada.state(CropState)
    await _drain(crop.upload_to_frame(_heic(), "avatar"))
    assert crop.is_open and crop.pending and crop.slot == "avatar"
    assert "output=format:jpg" in crop.src and (crop.width, crop.height) == (1200, 600)
    assert crop.warning == ""
    pending = json.loads(crop._pending)
    assert service.storage.get(pending["handle"]).path.startswith(f"users/{ada.id}/avatar/")
    # Saved with the left (red) half framed.
    shown = {
        "url": "blob:http://localhost/1",
        "pick": 7,
        "framing": json.dumps(
            {
                "x": 0,
                "y": 0,
                "width": 600,
                "height": 600,
                "rotation": 0,
                "image_width": 1200,
                "image_height": 600,
            }
        ),
    }
    events = await _drain(crop.save_pending(shown))
    avatar = ada.state(AvatarState)
    assert not crop.is_open and not crop.pending
    assert avatar.phase == SlotPhase.PROCESSING and "resize=" in avatar.photo_url
    assert any("follow_job" in str(e) for e in events if e is not None)
    job = profile_store.latest_job(ada.id, "avatar")
    assert job is not None and job.original_handle != pending["handle"]
    with Image.open(io.BytesIO(service.storage.read(job.original_handle))) as image:
        assert image.format == "JPEG" and image.size == (600, 600)
        assert image.convert("RGB").getpixel((300, 300))[0] > 180
    with pytest.raises(FileNotFound):
        service.storage.get(pending["handle"])
    # The local preview of that choice, arriving late, does not replace the server's.
    avatar.show_local({"url": "blob:http://localhost/1", "pick": 7})
    assert "resize=" in avatar.photo_url


async def test_cancel_deletes_the_stored_photo(env) -> None:
    _settings, service, _http = env
    ada = Person("ada")
    crop = ada.state(CropState)
    await _drain(crop.upload_to_frame(_heic(), "cover"))
    handle = json.loads(crop._pending)["handle"]
    await crop.cancel()
    assert not crop.is_open and not crop.pending
    with pytest.raises(FileNotFound):
        service.storage.get(handle)
    assert profile_store.latest_job(ada.id, "cover") is None


async def test_a_small_photo_is_warned_about(env) -> None:
    ada = Person("ada")
    crop = ada.state(CropState)
    await _drain(crop.upload_to_frame(_heic((600, 300)), "cover"))
    assert "1500×500" in crop.warning


async def test_not_an_image_is_refused_in_the_slot(env) -> None:
    ada = Person("ada")
    crop = ada.state(CropState)
    text = [rx.UploadFile(file=io.BytesIO(b"not a picture\n" * 50), path=Path("holiday.heic"))]
    await _drain(crop.upload_to_frame(text, "avatar"))
    avatar = ada.state(AvatarState)
    assert not crop.is_open and not crop.pending
    assert avatar.phase == SlotPhase.REJECTED and "not an image" in avatar.message


async def test_an_unknown_slot_or_no_session_does_nothing(env) -> None:
    ada = Person("ada")
    crop = ada.state(CropState)
    assert await _drain(crop.upload_to_frame(_heic(), "banner")) == []
    assert not crop.is_open
    stranger = rx.State().get_substate(CropState.get_full_name().split("."))
    events = await _drain(stranger.upload_to_frame(_heic(), "avatar"))
    assert any("login" in str(e) for e in events) and not stranger.pending
    # Saving with nothing pending changes nothing.
    assert await _drain(crop.save_pending({"framing": ""})) == []
