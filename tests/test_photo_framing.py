"""Framing a photo: the crop dialog's rectangle as Filestack tasks (pure), and what a framed upload saves."""

from __future__ import annotations

import io

import pytest
from app_env import Person, env  # noqa: F401  (fixture)
from PIL import Image, ImageStat

from dashboard import photo_jobs
from dashboard.filestack import FilestackClient
from dashboard.filestack_protocol.grammar import parse_path
from dashboard.local_filestack.storage.files import FileNotFound
from dashboard.photo_framing import (
    Framing,
    FramingRejected,
    framing_chain,
    is_whole_image,
    parse_framing,
    scaled_to,
    too_small,
    upright_size,
)

RED, GREEN, BLUE = (220, 30, 30), (30, 190, 60), (40, 60, 220)


def tasks(framing: Framing) -> list[tuple[str, dict]]:
    parsed = parse_path(framing_chain(framing).path("A" * 20))
    return [(task.name, dict(task.params)) for task in parsed.tasks]


def test_a_frame_becomes_exif_then_crop_in_upright_pixels() -> None:
    frame = Framing(x=10, y=20, width=300, height=300, image_width=1500, image_height=500)
    assert tasks(frame) == [("rotate", {"deg": "exif"}), ("crop", {"dim": [10, 20, 300, 300]})]


def test_a_turned_frame_turns_before_it_crops() -> None:
    frame = Framing(x=0, y=1000, width=500, height=500, rotation=90, image_width=1500, image_height=500)
    assert tasks(frame) == [
        ("rotate", {"deg": "exif"}),
        ("rotate", {"deg": 90}),
        ("crop", {"dim": [0, 1000, 500, 500]}),
    ]


def test_a_frame_on_a_smaller_copy_is_scaled_to_the_file() -> None:
    shown = Framing(x=100, y=50, width=200, height=200, image_width=1000, image_height=500)
    assert scaled_to(shown, 4000, 2000) == Framing(
        x=400, y=200, width=800, height=800, image_width=4000, image_height=2000
    )
    # Turned a quarter: the frame is measured on the 500×1000 turned copy.
    turned = Framing(x=0, y=500, width=500, height=500, rotation=90, image_width=1000, image_height=500)
    assert scaled_to(turned, 2000, 1000).model_dump() == {
        "x": 0,
        "y": 1000,
        "width": 1000,
        "height": 1000,
        "rotation": 90,
        "image_width": 2000,
        "image_height": 1000,
    }


def test_a_frame_reaching_past_the_edge_is_kept_inside() -> None:
    shown = Framing(x=900, y=0, width=200, height=600, image_width=1000, image_height=500)
    inside = scaled_to(shown, 1000, 500)
    assert (inside.x, inside.y, inside.width, inside.height) == (900, 0, 100, 500)


def test_framing_text_from_the_page() -> None:
    assert parse_framing("") is None
    framing = parse_framing(
        '{"x": 1, "y": 2, "width": 3, "height": 4, "rotation": 270, "image_width": 9, "image_height": 9}'
    )
    assert framing is not None and framing.rotation == 270
    for bad in (
        "{",
        '{"x": -1}',
        '{"x":0,"y":0,"width":1,"height":1,"rotation":45,"image_width":1,"image_height":1}',
    ):
        with pytest.raises(FramingRejected, match="frame"):
            parse_framing(bad)


def test_whole_image() -> None:
    assert is_whole_image(Framing(x=0, y=0, width=30, height=10, image_width=30, image_height=10))
    assert not is_whole_image(Framing(x=0, y=0, width=10, height=10, image_width=30, image_height=10))


def test_small_photos_get_a_warning_naming_the_slot_size() -> None:
    assert "400×400" in too_small("avatar", 300, 300)
    assert too_small("avatar", 400, 400) == ""
    assert "1500×500" in too_small("cover", 1400, 800)
    assert too_small("cover", 1600, 600) == ""


def _jpeg(image: Image.Image, orientation: int = 1) -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(out, "JPEG", quality=95, exif=exif.tobytes())
    return out.getvalue()


def _bands(size: tuple[int, int], vertical: bool = True) -> Image.Image:
    """Three equal bands, red, green, blue: left to right (vertical) or top to bottom."""
    width, height = size
    image = Image.new("RGB", size, GREEN)
    if vertical:
        image.paste(RED, (0, 0, width // 3, height))
        image.paste(BLUE, (2 * width // 3, 0, width, height))
    else:
        image.paste(RED, (0, 0, width, height // 3))
        image.paste(BLUE, (0, 2 * height // 3, width, height))
    return image


def _colour(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        mean = ImageStat.Stat(
            image.convert("RGB").crop((width // 4, height // 4, 3 * width // 4, 3 * height // 4))
        ).mean
    named = {"red": RED, "green": GREEN, "blue": BLUE}
    return min(named, key=lambda name: sum((a - b) ** 2 for a, b in zip(mean, named[name])))


def test_upright_size_follows_exif() -> None:
    assert upright_size(_jpeg(_bands((300, 100)), orientation=6)) == (100, 300)
    assert upright_size(_jpeg(_bands((300, 100)))) == (300, 100)


async def _saved(env, data: bytes, framing: Framing) -> tuple[bytes, bytes, photo_jobs.PhotoJob]:
    settings, _service, http = env
    ada = Person("ada")
    job = await photo_jobs.upload(ada.id, "avatar", data, "bands.jpg", settings, framing=framing)
    preview = (await http.get(job.preview_url)).content
    job = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(job, settings)).id, settings=settings
    )
    assert job.status == "finished", job.error
    final = (await http.get(job.final_url)).content
    return preview, final, job


async def test_framed_upload_saves_the_framed_band(env) -> None:
    framing = Framing(x=0, y=0, width=500, height=500, image_width=1500, image_height=500)
    preview, final, _job = await _saved(env, _jpeg(_bands((1500, 500))), framing)
    assert _colour(preview) == _colour(final) == "red"
    with Image.open(io.BytesIO(final)) as image:
        assert image.size == (400, 400)


async def test_a_frame_is_read_after_exif_orientation(env) -> None:
    # Stored sideways (bands top to bottom) with orientation 6: shown upright, blue is on the left.
    data = _jpeg(_bands((500, 1500), vertical=False), orientation=6)
    framing = Framing(x=0, y=0, width=500, height=500, image_width=1500, image_height=500)
    preview, final, _job = await _saved(env, data, framing)
    assert _colour(preview) == _colour(final) == "blue"


async def test_a_turned_frame_on_a_smaller_copy(env) -> None:
    # The dialog showed a 750×250 copy, turned a quarter clockwise: red on top, blue at the bottom.
    framing = Framing(x=0, y=500, width=250, height=250, rotation=90, image_width=750, image_height=250)
    preview, final, _job = await _saved(env, _jpeg(_bands((1500, 500))), framing)
    assert _colour(preview) == _colour(final) == "blue"


async def test_the_full_upload_is_not_kept(env, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, service, _http = env
    ada = Person("ada")
    uploaded: list[str] = []
    real_upload = FilestackClient.upload

    async def spy(self, *args, **kwargs):
        stored = await real_upload(self, *args, **kwargs)
        uploaded.append(stored.handle)
        return stored

    monkeypatch.setattr(FilestackClient, "upload", spy)
    framing = Framing(x=0, y=0, width=500, height=500, image_width=1500, image_height=500)
    data = _jpeg(_bands((1500, 500)))
    job = await photo_jobs.upload(ada.id, "avatar", data, "b.jpg", settings, framing=framing)
    # Sent once; the job starts from the framed part, stored under the account's folder.
    assert len(uploaded) == 1 and uploaded[0] != job.original_handle
    framed = service.storage.get(job.original_handle)
    assert framed.path.startswith(f"users/{ada.id}/avatar/")
    with Image.open(io.BytesIO(service.storage.read(job.original_handle))) as image:
        assert image.size == (500, 500)
    # The full upload is deleted.
    with pytest.raises(FileNotFound):
        service.storage.get(uploaded[0])
