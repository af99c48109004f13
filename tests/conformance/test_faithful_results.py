"""Answers that must match Filestack's documented behaviour rather than approximate it:
``quality`` never makes a file larger; ``cache=false`` and ``?dl=true`` on CDN links;
``store=base64decode:true``; ``metadata?exif=true``; GIF, BMP, TIFF and HEIC keep their
format when no output format is asked; an unknown bare task name says "unknown task".
(``enhance`` presets, ``redeye``, ``auto_image`` and ``cache=expiry`` are rows of the task table.)"""

from __future__ import annotations

import base64

import pytest

from . import media
from .harness import Conformance


def _small_jpeg() -> bytes:
    return media.encode(media.astronaut().resize((256, 256)), "JPEG", quality=30)


@pytest.mark.parametrize("task", ["quality=value:95", "output=quality:95", "output=format:jpg,quality:95"])
def test_quality_never_makes_a_file_larger(fs: Conformance, task: str) -> None:
    data = _small_jpeg()
    handle = fs.handle_of(data)
    answer = fs.cdn(f"{task}/{handle}")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).size == (256, 256)
    assert len(answer.content) <= len(data)


def test_cache_false_is_not_cached(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    answer = fs.cdn(f"cache=false/resize=width:20/{handle}")
    assert answer.status_code == 200, answer.text
    control = answer.headers.get("cache-control", "")
    assert "no-cache" in control or "no-store" in control or "max-age=0" in control, control


@pytest.mark.parametrize("chain", ["", "resize=width:20/"], ids=["file", "transformed"])
def test_dl_true_on_a_cdn_link_downloads(fs: Conformance, chain: str) -> None:
    handle = fs.handle_of(media.gradient_png(), filename="gradient.png")
    answer = fs.http.get(f"/cdn/{chain}{handle}", params={"dl": "true"})
    assert answer.status_code == 200, answer.text
    assert answer.headers.get("content-disposition", "").startswith("attachment")


def test_store_base64decode(fs: Conformance) -> None:
    png = media.gradient_png()
    handle = fs.handle_of(base64.b64encode(png), filename="encoded.txt")
    answer = fs.cdn(f"store=base64decode:true/{handle}")
    assert answer.status_code == 200, answer.text
    assert fs.stored_bytes(answer.json()["handle"]) == png


def test_metadata_exif(fs: Conformance) -> None:
    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "Conformance Camera Maker"
    handle = fs.handle_of(media.encode(media.astronaut(), "JPEG", exif=exif))
    signed = fs.sign(call=["stat", "exif"])
    answer = fs.http.get(f"/cdn/{handle}/metadata", params={"exif": "true", **signed.query})
    assert answer.status_code == 200, answer.text
    assert "Conformance Camera Maker" in str(answer.json()["exif"])


FORMATS = [
    ("gif", media.animated_gif, "GIF"),
    ("bmp", media.bmp, "BMP"),
    ("tiff", media.tiff, "TIFF"),
    ("heic", media.heic, "HEIF"),
]


@pytest.mark.parametrize(("name", "make", "fmt"), FORMATS, ids=[f[0] for f in FORMATS])
def test_formats_are_kept_without_an_output_format(fs: Conformance, name: str, make, fmt: str) -> None:  # type: ignore[no-untyped-def]
    import pillow_heif

    pillow_heif.register_heif_opener()
    handle = fs.handle_of(make(), filename=f"sample.{name}")
    answer = fs.cdn(f"resize=width:32/{handle}")
    assert answer.status_code == 200, answer.text
    out = media.decode(answer.content)
    assert out.format == fmt and out.width == 32


def test_an_unknown_bare_task_says_unknown_task(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    answer = fs.cdn(f"frobnicate/{handle}")
    assert answer.status_code == 400
    message = answer.json()["error"]
    assert "unknown task" in message and "frobnicate" in message


def test_an_unknown_task_with_parameters_says_unknown_task(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    answer = fs.cdn(f"frobnicate=level:3/{handle}")
    assert answer.status_code == 400
    assert answer.json()["error"] == "unknown task 'frobnicate'"
