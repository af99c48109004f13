"""The fast paths, as behaviour: shrink-on-load, the preview cache, the engine's worker pool.

No timing is asserted here (BENCHMARKS.md has the numbers); these tests check
that the fast paths are taken and give the same results as the slow ones.
"""

from __future__ import annotations

import asyncio
import io
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from local_service import count_calls, make_config, running_service, uploaded_handle
from PIL import Image, ImageChops, ImageStat, JpegImagePlugin
from workflow_support import FAST, photo_like, running_workflows

from dashboard.filestack_protocol.grammar import Task, parse_chain
from dashboard.local_filestack.imaging import Limits, NotAnImage, transform, vips_shrink
from dashboard.local_filestack.imaging.decode import decode
from dashboard.local_filestack.intelligence import faces as intelligence_faces
from dashboard.local_filestack.intelligence.detections import Detection
from dashboard.local_filestack.workflows.engine.pool import WORKER_NICENESS, WorkerPool

PROFILE_CHAIN = "rotate=deg:exif/no_metadata/resize=width:400,height:400,fit:crop,align:faces"
RED = (255, 0, 0)

needs_pyvips = pytest.mark.skipif(not vips_shrink.available(), reason="pyvips is not installed")


def chain(text: str) -> list[Task]:
    return parse_chain(text)


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def scene(size: tuple[int, int] = (3000, 2000)) -> Image.Image:
    """Gradients with a red block in the top-left corner (so orientation shows)."""
    width, height = size
    image = Image.merge(
        "RGB",
        (
            Image.linear_gradient("L").resize(size),
            Image.linear_gradient("L").rotate(90).resize(size),
            Image.new("L", size, 96),
        ),
    )
    image.paste(RED, (0, 0, width // 5, height // 5))
    return image


def mean_difference(first: Image.Image, second: Image.Image) -> float:
    return max(ImageStat.Stat(ImageChops.difference(first.convert("RGB"), second.convert("RGB"))).mean)


@pytest.fixture
def vips_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """Record every image libvips decodes (its format and the scale asked for)."""
    calls: list[tuple[str, float]] = []
    original = vips_shrink._reduced

    def spy(pyvips: Any, fmt: str, data: bytes, size: tuple[int, int], scale: float) -> Any:
        result = original(pyvips, fmt, data, size, scale)
        if result is not None:
            calls.append((fmt, scale))
        return result

    monkeypatch.setattr(vips_shrink, "_reduced", spy)
    monkeypatch.setattr(vips_shrink, "ENABLED", True)
    return calls


def without_vips(monkeypatch: pytest.MonkeyPatch, data: bytes, tasks: list[Task]) -> Image.Image:
    with monkeypatch.context() as patch:
        patch.setattr(vips_shrink, "ENABLED", False)
        return opened(transform(data, tasks).data)


# -- the pixel path -------------------------------------------------------------


def test_the_profile_chain_drafts_and_searches_faces_on_the_shrunk_image(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drafts: list[tuple[int, int] | None] = []
    searched: list[tuple[int, int]] = []
    original_draft = JpegImagePlugin.JpegImageFile.draft

    def spy_draft(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> Any:
        drafts.append(size)
        return original_draft(self, mode, size)

    def spy_faces(image: Image.Image) -> list[tuple[float, float, float, float]]:
        searched.append(image.size)
        return [(0.0, 0.0, image.width / 10, image.height / 10)]

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy_draft)
    rendered = transform(encoded(scene(), "JPEG", quality=90), chain(PROFILE_CHAIN), Limits(), spy_faces)

    assert (rendered.width, rendered.height) == (400, 400)
    assert drafts and drafts[0] is not None and drafts[0][0] < 3000 / 2
    assert searched == [(1500, 1000)], "faces were not searched on the image decoded at 1/2 scale"
    # The face box in the top-left corner pulls the crop there: the red block shows.
    assert opened(rendered.data).convert("RGB").getpixel((20, 20))[0] > 200


def test_face_search_runs_on_a_reduced_copy_and_maps_boxes_back(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[int, int]] = []

    def fake_detect(image: Image.Image) -> list[Detection]:
        seen.append(image.size)
        # A face in the middle tenth of whatever picture the detector sees.
        return [
            Detection(
                label="FACE_FEMALE",
                score=0.9,
                x=image.width * 45 // 100,
                y=image.height * 45 // 100,
                width=image.width // 10,
                height=image.height // 10,
            )
        ]

    monkeypatch.setattr(intelligence_faces, "detect", fake_detect)
    faces = intelligence_faces.detect_faces(Image.new("RGB", (2000, 1500)))

    assert len(seen) == 1 and intelligence_faces.WHOLE_SEARCH_SIDE <= max(seen[0]) < 1280
    (face,) = faces
    assert abs(face.x - 900) <= 6 and abs(face.y - 675) <= 6
    assert abs(face.width - 200) <= 6 and abs(face.height - 150) <= 6


def test_a_panorama_keeps_enough_pixels_for_its_tiles() -> None:
    copy = intelligence_faces.search_copy(Image.new("RGB", (6000, 1200)))
    assert max(copy.size) >= 1280 and min(copy.size) >= 256


@needs_pyvips
@pytest.mark.parametrize(
    ("fmt", "mode", "options"),
    [
        ("PNG", "RGB", {}),
        ("PNG", "RGBA", {}),
        ("WEBP", "RGB", {"quality": 95}),
        ("WEBP", "RGBA", {"quality": 95}),
    ],
)
def test_png_and_webp_shrink_on_load_through_libvips(
    monkeypatch: pytest.MonkeyPatch,
    vips_calls: list[tuple[str, float]],
    fmt: str,
    mode: str,
    options: dict[str, Any],
) -> None:
    source = scene().convert(mode)
    if mode == "RGBA":
        source.putalpha(Image.linear_gradient("L").resize(source.size))
    data = encoded(source, fmt, **options)
    tasks = chain("resize=width:300,height:300,fit:crop")

    fast = opened(transform(data, tasks).data)
    assert vips_calls and vips_calls[0][0] == fmt
    slow = without_vips(monkeypatch, data, tasks)
    assert fast.size == slow.size == (300, 300)
    assert fast.mode == slow.mode
    assert mean_difference(fast, slow) < 3


@needs_pyvips
def test_decode_through_libvips_is_reduced_and_upright(vips_calls: list[tuple[str, float]]) -> None:
    exif = Image.Exif()
    exif[0x0112] = 6
    data = encoded(scene(), "WEBP", quality=90, exif=exif.tobytes())

    decoded = decode(data, scale_for=lambda size: 0.2)
    assert vips_calls
    assert decoded.full_size == (2000, 3000)
    assert decoded.image.width < 1000 and decoded.image.height < 1500
    assert abs(decoded.image.width / decoded.image.height - 2 / 3) < 0.01
    # Orientation 6: the red top-left corner of the stored image ends top-right.
    assert decoded.image.getpixel((decoded.image.width - 5, 5))[0] > 200


@needs_pyvips
def test_a_png_with_exif_is_left_to_pillow_and_turned_upright(vips_calls: list[tuple[str, float]]) -> None:
    plain = encoded(scene(), "PNG")
    exif = Image.Exif()
    exif[0x0112] = 6
    payload = exif.tobytes()[6:] if exif.tobytes().startswith(b"Exif\x00\x00") else exif.tobytes()
    chunk = struct.pack(">I", len(payload)) + b"eXIf" + payload
    chunk += struct.pack(">I", zlib.crc32(b"eXIf" + payload) & 0xFFFFFFFF)
    end = plain.rfind(b"\x00\x00\x00\x00IEND")
    late_exif = plain[:end] + chunk + plain[end:]

    rendered = transform(late_exif, chain("resize=width:200"))
    assert vips_calls == []
    assert (rendered.width, rendered.height) == (200, 300)


@needs_pyvips
def test_pngs_pillow_decodes_differently_are_left_to_pillow(vips_calls: list[tuple[str, float]]) -> None:
    palette = scene().convert("P")
    grey = scene().convert("L")
    with_key = scene()
    for data in (
        encoded(palette, "PNG"),
        encoded(grey, "PNG"),
        encoded(with_key, "PNG", transparency=(255, 0, 0)),
    ):
        transform(data, chain("resize=width:200"))
    assert vips_calls == []


@needs_pyvips
def test_a_truncated_png_is_not_an_image_on_the_libvips_path(vips_calls: list[tuple[str, float]]) -> None:
    noisy = Image.effect_noise((3000, 2000), 60).convert("RGB")
    data = encoded(noisy, "PNG")
    with pytest.raises(NotAnImage):
        transform(data[: len(data) * 2 // 3], chain("resize=width:200"))


@needs_pyvips
def test_libvips_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, vips_calls: list[tuple[str, float]]
) -> None:
    monkeypatch.setattr(vips_shrink, "ENABLED", False)
    transform(encoded(scene(), "PNG"), chain("resize=width:200"))
    assert vips_calls == []


def test_small_outputs_of_small_images_decode_in_full(vips_calls: list[tuple[str, float]]) -> None:
    transform(encoded(scene((800, 600)), "PNG"), chain("resize=width:600"))
    assert vips_calls == []


# -- the preview path -------------------------------------------------------------


async def test_identical_previews_render_once_and_revalidate_without_rendering(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path)) as (service, client):
        handle = await uploaded_handle(client, encoded(scene((1600, 1200)), "JPEG"))
        render, calls = count_calls(service.renderer.render)
        service.renderer.render = render  # type: ignore[method-assign]
        url = f"/cdn/resize=width:400,height:400,fit:crop/{handle}"

        answers = await asyncio.gather(*(client.get(url) for _ in range(5)))
        assert [answer.status_code for answer in answers] == [200] * 5
        assert len({answer.headers["etag"] for answer in answers}) == 1
        assert answers[0].headers["cache-control"] == "public, max-age=31536000, immutable"
        assert len(calls) == 1

        etag = answers[0].headers["etag"]
        revalidated = await client.get(url, headers={"If-None-Match": etag})
        assert revalidated.status_code == 304 and revalidated.content == b""
        assert revalidated.headers["etag"] == etag
        again = await client.get(url)
        assert again.status_code == 200 and again.content == answers[0].content
        assert len(calls) == 1

        other = await client.get(f"/cdn/resize=width:200/{handle}")
        assert other.status_code == 200 and len(calls) == 2


# -- the engine path ----------------------------------------------------------------


async def test_status_reads_answer_while_four_image_jobs_run(tmp_path: Path) -> None:
    async with running_workflows(tmp_path, FAST) as running:
        workflow = await running.workflows.create_workflow(
            {
                "name": "heavy",
                "tasks": [
                    {"id": "big", "action": "process", "params": {"tasks": "blur=amount:4/resize=width:1500"}}
                ],
            }
        )
        handle = await uploaded_handle(running.client, photo_like(3000, 2000))
        jobs = [(await running.workflows.start_job(workflow.id, handle)).id for _ in range(4)]

        seen_running = 0
        async with asyncio.timeout(300):  # a hang, not a speed limit
            while True:
                answers = await asyncio.gather(
                    *(running.client.get(f"/cdn/workflow_status=job_id:{job_id}") for job_id in jobs)
                )
                for job_id, answer in zip(jobs, answers):
                    assert answer.status_code == 200
                    assert answer.json()["jobid"] == job_id
                states = [answer.json()["status"] for answer in answers]
                seen_running += states.count("Started")
                if "Started" not in states:
                    break
                await asyncio.sleep(0.01)

    assert states == ["Finished"] * 4
    assert seen_running > 0, "no status read happened while the image jobs ran"


def _niceness() -> int:
    return os.nice(0)


def _fail_to_preload() -> None:
    raise RuntimeError("no model here")


def _add(first: int, second: int) -> int:
    return first + second


def _detector_loaded(timeout_s: float) -> bool:
    from dashboard.local_filestack.intelligence.models import NUDE_DETECTOR

    deadline = time.monotonic() + timeout_s
    while not NUDE_DETECTOR.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    return NUDE_DETECTOR.loaded


def test_workers_run_below_the_service_priority() -> None:
    pool = WorkerPool(1, preload=())
    try:
        assert pool.submit(_niceness).result(timeout=60) == min(19, os.nice(0) + WORKER_NICENESS)
    finally:
        pool.shutdown()


def test_a_preload_that_fails_leaves_the_pool_working() -> None:
    pool = WorkerPool(1, preload=(_fail_to_preload,))
    try:
        assert pool.submit(_add, 2, 3).result(timeout=60) == 5
    finally:
        pool.shutdown()


def test_workers_preload_the_face_detector() -> None:
    pool = WorkerPool(1)
    try:
        assert pool.submit(_detector_loaded, 60.0).result(timeout=90) is True
    finally:
        pool.shutdown()


def test_a_worker_pool_refuses_a_higher_priority() -> None:
    with pytest.raises(ValueError, match="priority"):
        WorkerPool(1, niceness=-1)


def test_face_detection_still_finds_the_astronaut_on_the_reduced_copy() -> None:
    skimage_data = pytest.importorskip("skimage.data")
    portrait = Image.fromarray(skimage_data.astronaut()).resize((2048, 2048), Image.Resampling.BICUBIC)
    faces = intelligence_faces.face_boxes(portrait)
    # scikit-image's astronaut: the face is around (690-1090, 330-720) at this size.
    left, top, right, bottom = faces[0]
    assert 600 < (left + right) / 2 < 1150 and 250 < (top + bottom) / 2 < 800
