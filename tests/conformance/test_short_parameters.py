"""Short parameter names (the docs' "Name (Alias)" legend; PHP's collage and compress use them)."""

from __future__ import annotations

import pytest

from . import media
from .harness import Conformance


@pytest.fixture(scope="module")
def gradient(fs: Conformance) -> str:
    return fs.handle_of(media.gradient_png())


def test_resize_short_names(fs: Conformance, gradient: str) -> None:
    answer = fs.cdn(f"resize=w:40,h:20,f:crop,a:top/{gradient}")
    assert answer.status_code == 200, answer.text
    out = media.decode(answer.content)
    assert out.size == (40, 20)
    assert media.differs(out, media.gradient().resize((40, 30)).crop((0, 0, 40, 20))) < 4


def test_output_short_names(fs: Conformance, gradient: str) -> None:
    answer = fs.cdn(f"output=f:webp,q:40/{gradient}")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).format == "WEBP"


def test_crop_short_names(fs: Conformance, gradient: str) -> None:
    answer = fs.cdn(f"crop=d:[10,20,100,50]/{gradient}")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).size == (100, 50)


def test_store_short_names(fs: Conformance, gradient: str) -> None:
    answer = fs.cdn(f'store=f:short.png,p:"short/"/{gradient}')
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["filename"] == "short.png" and body["key"].startswith("short/")


def test_php_compress_metadata_short_name(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    answer = fs.cdn(f"compress=m:false/{handle}")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).size == (512, 512)


def test_security_short_and_long_names(fs: Conformance, gradient: str) -> None:
    signed = fs.sign(call=["read", "convert"])
    short = fs.cdn(f"{signed.task}/resize=width:10/{gradient}")
    long = fs.cdn(f"security=policy:{signed.policy},signature:{signed.signature}/resize=width:10/{gradient}")
    assert short.status_code == long.status_code == 200
    assert short.content == long.content
