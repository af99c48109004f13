"""Source forms the SDKs put at the end of a CDN URL: a quoted URL (JS quotes values holding
'/' or ','), the ``b64`` mode (JS: ``b64/<b64 JSON tasks>/b64://<b64 source>``; Go the same
with ``Name``/``Params`` keys), storage aliases ``src://alias/path`` (as CDN and workflow
sources). Several sources ``[h1,h2]`` are checked with collage, zip and animate in the task table."""

from __future__ import annotations

import base64
import json

import pytest

from . import media
from .harness import ALIAS, Conformance


def b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


def test_quoted_url_source(fs: Conformance) -> None:
    url = fs.origin.put("quoted.png", media.gradient_png(), "image/png")
    answer = fs.cdn(f'{fs.api_key}/resize=width:40/"{url}"')
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).size == (40, 30)


@pytest.mark.parametrize("keys", [("name", "params"), ("Name", "Params")], ids=["js", "go"])
def test_b64_tasks_and_source(fs: Conformance, keys: tuple[str, str]) -> None:
    handle = fs.handle_of(media.gradient_png())
    tasks = json.dumps([{keys[0]: "resize", keys[1]: {"width": 32}}, {keys[0]: "flip"}])
    answer = fs.cdn(f"{fs.api_key}/b64/{b64(tasks)}/b64://{b64(handle)}")
    assert answer.status_code == 200, answer.text
    out = media.decode(answer.content)
    assert out.size == (32, 24)
    from PIL import Image

    assert (
        media.differs(out, media.gradient().resize((32, 24)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)) < 3
    )


def test_b64_url_source(fs: Conformance) -> None:
    url = fs.origin.put("b64-source.png", media.gradient_png(), "image/png")
    answer = fs.cdn(f"{fs.api_key}/resize=width:20/b64://{b64(url)}")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).width == 20


def test_storage_alias_as_a_cdn_source(fs: Conformance) -> None:
    (fs.alias_dir / "photos" / "alias.png").write_bytes(media.gradient_png())
    answer = fs.cdn(f"{fs.api_key}/resize=width:40/src://{ALIAS}/photos/alias.png")
    assert answer.status_code == 200, answer.text
    assert media.decode(answer.content).size == (40, 30)


def test_storage_alias_as_a_workflow_source(fs: Conformance) -> None:
    (fs.alias_dir / "photos" / "wf.jpg").write_bytes(media.astronaut_jpeg())
    answer = fs.cdn(f"{fs.api_key}/run_workflow=id:{fs.workflow_id}/src://{ALIAS}/photos/wf.jpg")
    assert answer.status_code == 200, answer.text
    status = fs.wait_for_job(answer.json()["jobid"])
    assert status["status"] == "Finished", status


def test_an_unknown_alias_is_refused_by_name(fs: Conformance) -> None:
    answer = fs.cdn(f"{fs.api_key}/resize=width:40/src://no-such-alias/photos/x.png")
    assert answer.status_code in {400, 404}
    assert "alias" in answer.json()["error"]
