"""``tags``, ``sfw`` and ``ocr`` as CDN tasks, in each SDK's URL shape (security placement and
key names differ), answered as Filestack does: ``{"tags": {"auto": {label: 0-100}, "user": …}}``
(Go's ``TagsResponse``, Ruby reads ``["tags"]``), ``{"sfw": bool}`` (Go's ``SfwResponse``)."""

from __future__ import annotations

import pytest

from . import media
from .harness import Conformance


@pytest.fixture(scope="module")
def portrait(fs: Conformance) -> str:
    return fs.handle_of(media.astronaut_jpeg())


def _shapes(fs: Conformance, task: str, handle: str) -> dict[str, str]:
    s = fs.sign()
    return {
        "python": f"{task}/{s.task}/{handle}",
        "php": f"{task}/security=policy:{s.policy},signature:{s.signature}/{handle}",
        "ruby": f"{task}/security=signature:{s.signature},policy:{s.policy}/{handle}",
        "go": f"{fs.api_key}/{s.task}/{task}/{handle}",
    }


@pytest.mark.parametrize("sdk", ["python", "php", "ruby", "go"])
def test_sfw_in_each_sdk_shape(fs: Conformance, portrait: str, sdk: str) -> None:
    answer = fs.cdn(_shapes(fs, "sfw", portrait)[sdk])
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"sfw": True}


@pytest.mark.parametrize("sdk", ["python", "php", "ruby", "go"])
def test_tags_in_each_sdk_shape(fs: Conformance, portrait: str, sdk: str) -> None:
    answer = fs.cdn(_shapes(fs, "tags", portrait)[sdk])
    assert answer.status_code == 200, answer.text
    tags = answer.json()["tags"]
    assert tags["auto"] and all(isinstance(v, int) and 0 <= v <= 100 for v in tags["auto"].values())
    assert "user" in tags
