"""HEIC/HEIF and AVIF photos: accepted by the page's check, previewed and processed into pictures browsers show."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pillow_heif
import pytest
from app_env import Person, env  # noqa: F401  (fixture)
from PIL import Image
from skimage import data as samples

from dashboard import photo_framing_jobs, photo_jobs
from dashboard.local_filestack.storage.files import FileNotFound
from dashboard.photo_checks import DROPZONE_ACCEPT, check_photo
from dashboard.photo_framing import Framing, needs_conversion, upright_chain

pillow_heif.register_heif_opener()


def astronaut(fmt: str, size: tuple[int, int] = (1024, 768), orientation: int = 1) -> bytes:
    """A real photo (scikit-image's astronaut), encoded as ``fmt`` (HEIF is HEVC-coded HEIC)."""
    image = Image.fromarray(samples.astronaut()).resize(size)
    out = io.BytesIO()
    exif = Image.Exif()
    if orientation != 1:
        exif[0x0112] = orientation
    image.save(out, fmt, quality=80, exif=exif.tobytes())
    return out.getvalue()


def test_the_check_takes_heic_and_avif_by_their_content() -> None:
    assert check_photo(astronaut("HEIF"), "IMG_0001.HEIC", 10_000_000) == "image/heic"
    assert check_photo(astronaut("AVIF"), "photo.avif", 10_000_000) == "image/avif"
    # Named by the content, not the name.
    assert check_photo(astronaut("HEIF"), "renamed.jpg", 10_000_000) == "image/heic"
    assert {"image/heic", "image/avif"} <= set(DROPZONE_ACCEPT)


def test_avif_is_taken_however_the_app_was_started() -> None:
    """What the check accepts must not depend on whether an image was opened before it was imported
    (Pillow loads its AVIF plugin lazily): the app as `reflex run` starts it takes AVIF too."""
    probe = (
        "import dashboard.photo_checks as checks, json; "
        "print(json.dumps([sorted(checks.ACCEPTED_FORMATS), sorted(checks.DROPZONE_ACCEPT)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120
    )
    formats, accept = json.loads(done.stdout.strip().splitlines()[-1])
    assert "AVIF" in formats and "image/avif" in accept


def test_only_types_browsers_cannot_show_are_converted() -> None:
    assert needs_conversion("image/heic") and not needs_conversion("image/avif")
    assert upright_chain(None, "image/jpeg") is None
    heic = upright_chain(None, "image/heic")
    assert heic is not None and heic.task_names == ("rotate", "output")
    framed = upright_chain(Framing(x=0, y=0, width=5, height=5, image_width=9, image_height=9), "image/heic")
    assert framed is not None and framed.task_names == ("rotate", "crop", "output")


@pytest.mark.parametrize(
    ("fmt", "shown_type"), [("HEIF", "image/jpeg"), ("AVIF", "image/avif")], ids=["heic", "avif"]
)
async def test_a_phone_photo_is_previewed_and_saved_as_a_picture_browsers_show(env, fmt, shown_type) -> None:
    settings, _service, http = env
    ada = Person("ada")
    job = await photo_jobs.upload(ada.id, "avatar", astronaut(fmt), f"IMG.{fmt.lower()}", settings)
    preview = await http.get(job.preview_url)
    assert preview.status_code == 200 and preview.headers["content-type"] == shown_type
    job = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(job, settings)).id, settings=settings
    )
    assert job.status == "finished", job.error
    final = await http.get(job.final_url)
    assert final.headers["content-type"] == shown_type
    with Image.open(io.BytesIO(final.content)) as image:
        assert image.size == (400, 400)


async def test_a_sideways_heic_is_stored_upright(env) -> None:
    settings, service, _http = env
    ada = Person("ada")
    # Stored 768×1024 with orientation 6: shown (and so framed) as 1024×768.
    job = await photo_jobs.upload(
        ada.id, "cover", astronaut("HEIF", (768, 1024), orientation=6), "IMG.HEIC", settings
    )
    with Image.open(io.BytesIO(service.storage.read(job.original_handle))) as image:
        assert image.format == "JPEG" and image.size == (1024, 768)


async def test_a_photo_framed_on_the_servers_copy(env) -> None:
    settings, service, http = env
    ada = Person("ada")
    pending = await photo_framing_jobs.upload_for_framing(
        ada.id, "avatar", astronaut("HEIF"), "IMG.HEIC", settings
    )
    assert (pending.width, pending.height) == (1024, 768)
    # The dialog is shown a JPEG of it, upright.
    view = await http.get(photo_framing_jobs.framing_view_url(pending, settings))
    assert view.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(view.content)) as image:
        assert image.size == pending.view_size == (1024, 768)
    # The frame was chosen on that view: its right 768×768 square.
    framing = Framing(x=256, y=0, width=768, height=768, image_width=1024, image_height=768)
    job = await photo_framing_jobs.adopt(ada.id, pending, framing, settings)
    with Image.open(io.BytesIO(service.storage.read(job.original_handle))) as image:
        assert image.format == "JPEG" and image.size == (768, 768)
    with pytest.raises(FileNotFound):
        service.storage.get(pending.handle)


async def test_a_cancelled_frame_leaves_nothing_stored(env) -> None:
    settings, service, _http = env
    ada = Person("ada")
    pending = await photo_framing_jobs.upload_for_framing(
        ada.id, "cover", astronaut("HEIF"), "IMG.HEIC", settings
    )
    assert service.storage.get(pending.handle).path.startswith(f"users/{ada.id}/cover/")
    await photo_framing_jobs.discard(pending, settings)
    with pytest.raises(FileNotFound):
        service.storage.get(pending.handle)


async def test_a_big_photo_is_framed_on_a_smaller_view(env) -> None:
    settings, _service, _http = env
    pending = await photo_framing_jobs.upload_for_framing(
        Person("ada").id, "cover", astronaut("HEIF", (3000, 1500)), "IMG.HEIC", settings
    )
    assert pending.view_size == (2048, 1024)
