"""One case per task of Filestack's Processing API, as the finished service must answer it.

Every case is one of:

* **implemented** -- the output is decoded and checked for what the task promises
  (dimensions, pixels, format, JSON fields);
* **refused by name** -- a 400 whose message names the task and says it is not available
  in the embedded service (tasks that need a hosted model or a media pipeline);
* **implemented or refused** -- where the task is only worth offering if it is done
  properly: either outcome passes, an approximation under the real name does not.

The task list is the union of the tasks Filestack's SDKs emit (filestack-js's transform
schema, filestack-python, filestack-go, filestack-ruby) plus the service-level tasks.
Cases the service does not meet yet are strict xfails: when one starts passing, remove its
marker.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import cv2
import httpx
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from . import media
from .harness import REFUSAL, Conformance

Check = Callable[["Ctx", httpx.Response], None]


@dataclass
class Ctx:
    """What a check may look at: the harness and the handles of the uploaded samples."""

    fs: Conformance
    h: dict[str, str]


# -- samples ---------------------------------------------------------------------------


def _text_image() -> bytes:
    image = Image.new("RGB", (640, 160), "white")
    ImageDraw.Draw(image).text((20, 40), "FILESTACK 2024", fill="black", font=ImageFont.load_default(size=64))
    return media.encode(image, "PNG")


def _astronaut_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Conformance Camera Maker"  # Make
    exif[0x0131] = "conformance-test"  # Software
    return media.encode(media.astronaut(), "JPEG", quality=90, exif=exif)


@pytest.fixture(scope="module")
def ctx(fs: Conformance) -> Ctx:
    handles = {
        "A": fs.handle_of(media.astronaut_jpeg(), filename="astronaut.jpg"),
        "G": fs.handle_of(media.gradient_png(), filename="gradient.png"),
        "C": fs.handle_of(media.coffee_jpeg(), filename="coffee.jpg"),
        "PDF": fs.handle_of(media.two_page_pdf(), filename="two-pages.pdf"),
        "TEXT": fs.handle_of(_text_image(), filename="text.png"),
        "EXIF": fs.handle_of(_astronaut_with_exif(), filename="exif.jpg"),
        "K": fs.api_key,
    }
    handles["PAGE"] = fs.origin.put(
        "red-page.html",
        b"<!doctype html><html><body style='margin:0;background:#dc1414'></body></html>",
        "text/html",
    )
    handles["WF"] = fs.workflow_id
    return Ctx(fs, handles)


# -- check helpers -------------------------------------------------------------------------


def image_of(answer: httpx.Response) -> Image.Image:
    assert answer.status_code == 200, f"{answer.status_code} {answer.text[:300]}"
    return media.decode(answer.content)


def json_of(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, f"{answer.status_code} {answer.text[:300]}"
    assert answer.headers["content-type"].startswith("application/json"), answer.headers["content-type"]
    return answer.json()


def astro() -> Image.Image:
    return media.astronaut()


def grad() -> Image.Image:
    return media.gradient()


FACE = media.ASTRONAUT_FACE
FACE_BOX = (FACE[0], FACE[1], FACE[0] + FACE[2], FACE[1] + FACE[3])
FAR_BOX = (400, 380, 500, 500)
"""A part of the astronaut photo well away from the face."""


def unchanged(
    out: Image.Image, ref: Image.Image, box: tuple[int, int, int, int], tolerance: float = 6.0
) -> bool:
    return media.differs(out.convert("RGB").crop(box), ref.crop(box)) < tolerance


def alpha_at(image: Image.Image, xy: tuple[int, int]) -> int:
    return image.convert("RGBA").getpixel(xy)[3]


def locate(part: Image.Image, whole: Image.Image) -> tuple[int, int, int, int]:
    """Where ``part`` (a crop of ``whole``, maybe scaled down) lies in ``whole``: left, top, right, bottom."""
    haystack = np.asarray(whole.convert("L"), dtype=np.float32)
    best = (-1.0, (0, 0, 0, 0))
    for width in range(part.width, whole.width + 1, 4):
        height = round(part.height * width / part.width)
        if height > whole.height:
            break
        needle = np.asarray(part.convert("L").resize((width, height)), dtype=np.float32)
        scores = cv2.matchTemplate(haystack, needle, cv2.TM_CCOEFF_NORMED)
        _, score, _, (x, y) = cv2.minMaxLoc(scores)
        if score > best[0]:
            best = (score, (x, y, x + width, y + height))
    assert best[0] > 0.8, f"the output is not a crop of the input (best match {best[0]:.2f})"
    return best[1]


def contains_face(box: tuple[int, int, int, int]) -> bool:
    cx, cy = (FACE_BOX[0] + FACE_BOX[2]) / 2, (FACE_BOX[1] + FACE_BOX[3]) / 2
    return box[0] <= cx <= box[2] and box[1] <= cy <= box[3]


def refused(task: str) -> Check:
    def check(_ctx: Ctx, answer: httpx.Response) -> None:
        assert answer.status_code == 400, f"{answer.status_code} {answer.text[:300]}"
        message = str(answer.json().get("error", ""))
        assert task in message and REFUSAL in message, message

    return check


def either(task: str, implemented: Check) -> Check:
    """Refused by name, or implemented and passing ``implemented``."""

    def check(c: Ctx, answer: httpx.Response) -> None:
        if answer.status_code == 400:
            refused(task)(c, answer)
        else:
            implemented(c, answer)

    return check


def fetch_urls(c: Ctx, body: Any) -> list[bytes]:
    """Every URL or handle string in a JSON answer, fetched from the service."""
    text = json.dumps(body)
    found = re.findall(r"https?://[^\"\s]+", text)
    out = []
    for url in found:
        path = httpx.URL(url).raw_path.decode()
        prefix = path if path.startswith("/cdn/") else "/cdn/" + path.rsplit("/", 1)[-1]
        answer = c.fs.http.get(prefix)
        assert answer.status_code == 200, f"{url}: {answer.status_code}"
        out.append(answer.content)
    return out


# -- the checks, one per promise -----------------------------------------------------------


def c_resize(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (100, 50) and out.format == "JPEG"


def c_crop(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (100, 50)
    assert unchanged(out, grad().crop((10, 20, 110, 70)), (0, 0, 100, 50), 2.0)


def c_rotate(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (120, 160)
    assert media.differs(out, grad().rotate(-90, expand=True)) < 2.0


def c_flip(c: Ctx, a: httpx.Response) -> None:
    assert media.differs(image_of(a), grad().transpose(Image.Transpose.FLIP_TOP_BOTTOM)) < 2.0


def c_flop(c: Ctx, a: httpx.Response) -> None:
    assert media.differs(image_of(a), grad().transpose(Image.Transpose.FLIP_LEFT_RIGHT)) < 2.0


def c_circle(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size[0] == out.size[1]
    assert alpha_at(out, (0, 0)) == 0 and alpha_at(out, (out.width // 2, out.height // 2)) == 255


def c_rounded(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGBA")
    assert out.size == (160, 120)
    assert out.getpixel((0, 0)) != grad().convert("RGBA").getpixel((0, 0))
    assert media.differs(out.crop((40, 30, 120, 90)), grad().crop((40, 30, 120, 90))) < 2.0


def c_border(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    assert out.size in {(170, 130), (160, 120)}
    r, g, b = out.getpixel((1, 1))
    assert r > 200 and g < 50 and b < 50


def c_sharpen(c: Ctx, a: httpx.Response) -> None:
    assert media.local_detail(image_of(a)) > media.local_detail(astro()) * 1.1


def c_blur(c: Ctx, a: httpx.Response) -> None:
    assert media.local_detail(image_of(a)) < media.local_detail(astro()) * 0.6


def c_monochrome(c: Ctx, a: httpx.Response) -> None:
    arr = np.asarray(image_of(a).convert("RGB"), dtype=int)
    assert np.abs(arr[..., 0] - arr[..., 1]).max() <= 3 and np.abs(arr[..., 1] - arr[..., 2]).max() <= 3


def c_blackwhite(c: Ctx, a: httpx.Response) -> None:
    values = np.asarray(image_of(a).convert("L"))
    assert ((values < 40) | (values > 215)).mean() > 0.95  # black or white, give or take JPEG noise


def c_sepia(c: Ctx, a: httpx.Response) -> None:
    r, g, b = media.mean_color(image_of(a))
    assert r > g > b


def c_pixelate(c: Ctx, a: httpx.Response) -> None:
    arr = np.asarray(image_of(a).convert("RGB").crop((0, 0, 256, 256)), dtype=int)
    blocks = arr.reshape(16, 16, 16, 16, 3)
    assert np.abs(blocks - blocks[:, :1, :, :1, :]).mean() < 4


def c_negative(c: Ctx, a: httpx.Response) -> None:
    inverted = Image.eval(grad(), lambda v: 255 - v)
    assert media.differs(image_of(a), inverted) < 2.0


def c_modulate(c: Ctx, a: httpx.Response) -> None:
    before = sum(media.mean_color(grad()))
    after = sum(media.mean_color(image_of(a)))
    assert 0.35 * before < after < 0.65 * before


def c_output_webp(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.format == "WEBP" and a.headers["content-type"] == "image/webp" and out.size == (512, 512)


def c_quality(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.format == "JPEG" and len(a.content) < len(media.astronaut_jpeg()) * 0.7


def c_compress(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (512, 512) and len(a.content) <= len(media.astronaut_jpeg())


def c_no_metadata(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert b"Conformance Camera Maker" not in a.content and not out.getexif().get(0x010F)


def c_crop_faces(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.width < 512 and out.height < 512
    assert contains_face(locate(out, astro()))


def c_stored(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    assert c.fs.stored_bytes(body["handle"]) == media.astronaut_jpeg()


def c_same_file(c: Ctx, a: httpx.Response) -> None:
    assert a.status_code == 200 and a.content == media.astronaut_jpeg()


def c_job_started(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    assert body["workflow"] == c.h["WF"] and body["jobid"]
    assert c.fs.wait_for_job(body["jobid"])["status"] == "Finished"


def c_status(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    assert body["status"] in {"Started", "Finished", "Pending", "Failed"} and "jobid" in body


def c_cache(c: Ctx, a: httpx.Response) -> None:
    assert image_of(a).width == 20
    assert "max-age=60" in a.headers.get("cache-control", ""), a.headers.get("cache-control")


def c_watermark(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    assert out.size == (512, 512)
    assert unchanged(out, astro(), (0, 0, 200, 200))
    # the gradient (a quarter of the width at size:50 -> 256 px wide) sits in the bottom-right corner
    assert media.differs(out.crop((412, 452, 512, 512)), astro().crop((412, 452, 512, 512))) > 20


def c_detect_faces_json(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    faces = body if isinstance(body, list) else body.get("faces", body)
    assert isinstance(faces, list) and len(faces) == 1, body
    face = faces[0]
    cx, cy = face["x"] + face["width"] / 2, face["y"] + face["height"] / 2
    assert FACE_BOX[0] < cx < FACE_BOX[2] and FACE_BOX[1] < cy < FACE_BOX[3], face


def c_detect_faces_drawn(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    assert out.size == (512, 512)
    assert unchanged(out, astro(), FAR_BOX)
    grown = (FACE_BOX[0] - 30, FACE_BOX[1] - 30, FACE_BOX[2] + 30, FACE_BOX[3] + 30)
    assert media.differs(out.crop(grown), astro().crop(grown)) > 1.0


def _face_hidden(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    assert out.size == (512, 512)
    assert unchanged(out, astro(), FAR_BOX)
    inner = (FACE_BOX[0] + 20, FACE_BOX[1] + 20, FACE_BOX[2] - 20, FACE_BOX[3] - 20)
    assert media.local_detail(out, inner) < media.local_detail(astro(), inner) * 0.5


def _region_hidden(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    assert unchanged(out, astro(), FAR_BOX)
    region = (20, 20, 190, 190)
    assert media.local_detail(out, region) < media.local_detail(astro(), region) * 0.5


def c_vignette(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    corner = (0, 0, 40, 40)
    assert media.differs(out.crop(corner), astro().crop(corner)) > 20
    assert unchanged(out, astro(), (206, 206, 306, 306), 10.0)


def c_polaroid(c: Ctx, a: httpx.Response) -> None:
    arr = np.asarray(image_of(a).convert("RGB"), dtype=int)
    assert (arr.min(axis=2) > 230).mean() > 0.05  # the snow-white frame; the gradient has no such pixels


def c_torn_edges(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGBA")
    arr = np.asarray(out, dtype=int)
    edge = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    torn = (edge[:, 3] < 128) | (edge[:, :3].min(axis=1) > 240)
    assert torn.mean() > 0.2
    assert media.differs(out.crop((40, 30, 120, 90)), grad().crop((40, 30, 120, 90))) < 4.0


def c_shadow(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.width > 160 and out.height > 120


def c_oil_paint(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (512, 512)
    assert media.local_detail(out) < media.local_detail(astro()) * 0.8 and media.differs(out, astro()) > 2


def c_ascii(c: Ctx, a: httpx.Response) -> None:
    assert a.status_code == 200 and a.headers["content-type"].startswith(("text/html", "text/plain"))
    lines = [line for line in re.sub(r"<[^>]+>", "\n", a.text).splitlines() if len(line.strip()) > 20]
    assert len(lines) >= 20


def c_collage(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (800, 600)


def c_zip(c: Ctx, a: httpx.Response) -> None:
    assert a.status_code == 200 and a.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(a.content)) as archive:
        contents = sorted(archive.read(name) for name in archive.namelist())
    assert contents == sorted([media.astronaut_jpeg(), media.gradient_png()])


def c_animate(c: Ctx, a: httpx.Response) -> None:
    assert a.status_code == 200 and a.headers["content-type"] == "image/gif"
    gif = Image.open(io.BytesIO(a.content))
    assert gif.format == "GIF" and gif.n_frames == 2


def c_imagesize(c: Ctx, a: httpx.Response) -> None:
    assert json_of(a) == {"width": 512, "height": 512}


def c_smart_crop(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.size == (100, 100)
    assert contains_face(locate(out, astro()))


def c_fallback(c: Ctx, a: httpx.Response) -> None:
    assert a.status_code == 200 and a.content == media.gradient_png()


def c_doc_to_images(c: Ctx, a: httpx.Response) -> None:
    if a.headers.get("content-type", "").startswith("application/zip"):
        with zipfile.ZipFile(io.BytesIO(a.content)) as archive:
            pages = [archive.read(n) for n in sorted(archive.namelist())]
    else:
        pages = fetch_urls(c, json_of(a))
    assert len(pages) == 2
    first, second = (media.mean_color(media.decode(p)) for p in pages)
    assert first[0] > 200 and first[1] < 80 and second[1] > 150 and second[0] < 80


def c_urlscreenshot(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a).convert("RGB")
    r, g, b = media.mean_color(out)
    assert out.width >= 800 and r > 180 and g < 60 and b < 60


def c_docinfo(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    pages = [v for k, v in body.items() if "page" in k.lower() and isinstance(v, int)]
    assert 2 in pages, body


def c_pdf_page(c: Ctx, a: httpx.Response) -> None:
    decoded = image_of(a)
    assert decoded.format == "PNG"  # read before convert(), which drops the format
    out = decoded.convert("RGB")
    assert out.size == (400, 200)
    r, g, _ = media.mean_color(out)
    assert g > 150 and r < 80


def c_cmyk(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.format == "JPEG" and out.mode == "CMYK"


def c_tags(c: Ctx, a: httpx.Response) -> None:
    tags = json_of(a)["tags"]
    assert tags["auto"] and all(isinstance(v, int) for v in tags["auto"].values())


def c_sfw(c: Ctx, a: httpx.Response) -> None:
    assert json_of(a) == {"sfw": True}


def c_ocr(c: Ctx, a: httpx.Response) -> None:
    assert "FILESTACK" in json.dumps(json_of(a)).upper()


def c_metadata_task(c: Ctx, a: httpx.Response) -> None:
    body = json_of(a)
    assert body["mimetype"] == "image/jpeg" and body["size"] == len(media.astronaut_jpeg())


def c_enhance(c: Ctx, a: httpx.Response) -> None:
    vivid = image_of(a)
    dark = image_of(c.fs.cdn(f"enhance=preset:fix_dark/{c.h['A']}"))
    auto = image_of(c.fs.cdn(f"auto_image/{c.h['A']}"))
    assert media.differs(vivid, dark) > 1.0 and media.differs(vivid, auto) > 1.0


def c_redeye(c: Ctx, a: httpx.Response) -> None:
    # no red eyes in this photo: a real red-eye fix leaves it as it was
    assert media.differs(image_of(a), astro()) < 2.0


def c_auto_image(c: Ctx, a: httpx.Response) -> None:
    webp = c.fs.cdn(f"auto_image/{c.h['A']}", headers={"Accept": "image/webp,*/*"})
    assert image_of(webp).format == "WEBP"
    plain = image_of(a)
    assert plain.format == "JPEG" and media.differs(plain, astro()) < 3.0


def c_pjpg(c: Ctx, a: httpx.Response) -> None:
    out = image_of(a)
    assert out.format == "JPEG" and out.info.get("progressive") == 1


def c_pdfinfo(c: Ctx, a: httpx.Response) -> None:
    assert 2 in json.loads(json.dumps(json_of(a)).replace('"2"', "2")).values() or "2" in a.text


# -- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    task: str
    path: str
    check: Check
    gap: str | None = None
    label: str = ""

    @property
    def id(self) -> str:
        return self.label or self.task


CASES = [
    # implemented before the second fidelity round
    Case("resize", "resize=width:100,height:50,fit:crop/{A}", c_resize),
    Case("crop", "crop=dim:[10,20,100,50]/{G}", c_crop),
    Case("rotate", "rotate=deg:90/{G}", c_rotate),
    Case("flip", "flip/{G}", c_flip),
    Case("flop", "flop/{G}", c_flop),
    Case("circle", "circle/{A}", c_circle),
    Case("rounded_corners", "rounded_corners=radius:30/{G}", c_rounded),
    Case("border", "border=width:5,color:FF0000/{G}", c_border),
    Case("sharpen", "sharpen=amount:10/{A}", c_sharpen),
    Case("blur", "blur=amount:10/{A}", c_blur),
    Case("monochrome", "monochrome/{A}", c_monochrome),
    Case("blackwhite", "blackwhite=threshold:50/{A}", c_blackwhite),
    Case("sepia", "sepia=tone:80/{A}", c_sepia),
    Case("pixelate", "pixelate=amount:16/{A}", c_pixelate),
    Case("negative", "negative/{G}", c_negative),
    Case("modulate", "modulate=brightness:50/{G}", c_modulate),
    Case("output", "output=format:webp/{A}", c_output_webp, label="output-format"),
    Case("quality", "quality=value:30/{A}", c_quality),
    Case("compress", "compress/{A}", c_compress),
    Case("no_metadata", "no_metadata/{EXIF}", c_no_metadata),
    Case("crop_faces", "crop_faces/{A}", c_crop_faces),
    Case("store", "store/{A}", c_stored),
    Case("security", "{SEC}/{A}", c_same_file),
    Case("run_workflow", "{K}/run_workflow=id:{WF}/{A}", c_job_started),
    Case("workflow_status", "{K}/workflow_status=job_id:{JOB}", c_status),
    Case("cache", "cache=expiry:60/resize=width:20/{A}", c_cache),
    # implemented offline
    Case("watermark", "watermark=file:{G},size:50,position:[bottom,right]/{A}", c_watermark),
    Case("detect_faces", "detect_faces=export:true/{A}", c_detect_faces_json, label="detect_faces-json"),
    Case("detect_faces", "detect_faces/{A}", c_detect_faces_drawn, label="detect_faces-drawn"),
    Case("pixelate_faces", "pixelate_faces/{A}", _face_hidden),
    Case("blur_faces", "blur_faces=amount:10/{A}", _face_hidden),
    Case("partial_pixelate", "partial_pixelate=objects:[[20,20,170,170]]/{A}", _region_hidden),
    Case("partial_blur", "partial_blur=objects:[[20,20,170,170]],amount:20/{A}", _region_hidden),
    Case("vignette", "vignette=amount:60/{A}", c_vignette),
    Case("polaroid", "polaroid/{G}", c_polaroid),
    Case("torn_edges", "torn_edges/{G}", c_torn_edges),
    Case("shadow", "shadow/{G}", c_shadow),
    Case("oil_paint", "oil_paint=amount:10/{A}", c_oil_paint),
    Case("ascii", "ascii/{A}", c_ascii),
    Case("collage", "collage=files:[{G},{C}],width:800,height:600/{A}", c_collage),
    Case("zip", "{K}/zip/[{A},{G}]", c_zip),
    Case("animate", "{K}/animate=delay:200,loop:0/[{A},{G}]", c_animate),
    Case("imagesize", "imagesize/{A}", c_imagesize),
    Case("smart_crop", "smart_crop=mode:face,width:100,height:100/{A}", c_smart_crop),
    Case("fallback", "fallback=handle:{G}/AAAAAAAAAAAAAAAAAAAA", c_fallback),
    Case("doc_to_images", "doc_to_images/{PDF}", c_doc_to_images),
    Case("urlscreenshot", "{K}/urlscreenshot/{PAGE}", c_urlscreenshot),
    Case("output", "output=docinfo:true/{PDF}", c_docinfo, label="output-docinfo"),
    Case("output", "output=format:png,page:2,density:144/{PDF}", c_pdf_page, label="output-page-density"),
    Case("output", "output=format:jpg,colorspace:cmyk/{A}", c_cmyk, label="output-colorspace"),
    Case("tags", "tags/{A}", c_tags),
    Case("sfw", "sfw/{A}", c_sfw),
    Case("ocr", "ocr/{TEXT}", c_ocr),
    Case("metadata", "metadata/{A}", c_metadata_task),
    # implemented properly, or refused by name
    Case("enhance", "enhance=preset:vivid/{A}", either("enhance", c_enhance)),
    Case("redeye", "redeye/{A}", either("redeye", c_redeye)),
    Case("auto_image", "auto_image/{A}", either("auto_image", c_auto_image)),
    Case("pjpg", "pjpg=quality:80/{A}", either("pjpg", c_pjpg)),
    Case("pdfinfo", "pdfinfo/{PDF}", either("pdfinfo", c_pdfinfo)),
]

REFUSED = [
    ("upscale", "upscale=noise:low/{A}"),
    ("video_convert", "video_convert=preset:h264/{A}"),
    ("video_playlist", "video_playlist/{A}"),
    ("pdfconvert", "pdfconvert=pageorientation:landscape/{PDF}"),
    ("pdfcreate", "pdfcreate/{A}"),
    ("minify_css", "minify_css/{A}"),
    ("minify_js", "minify_js/{A}"),
    ("caption", "caption/{A}"),
    ("image_sentiment", "image_sentiment/{A}"),
    ("text_sentiment", "text_sentiment=text:hello/{A}"),
    ("doc_detection", "doc_detection/{A}"),
    ("qr", "qr/{A}"),
    ("slide", "slide/{PDF}"),
]
CASES += [Case(task, path, refused(task)) for task, path in REFUSED]


def _params(cases: list[Case]) -> list[Any]:
    return [
        pytest.param(
            case, id=case.id, marks=[pytest.mark.xfail(strict=True, reason=case.gap)] if case.gap else []
        )
        for case in cases
    ]


@pytest.mark.parametrize("case", _params(CASES))
def test_processing_task(ctx: Ctx, case: Case) -> None:
    values = dict(ctx.h)
    if "{SEC}" in case.path:
        values["SEC"] = ctx.fs.sign(call=["read", "convert"]).task
    if "{JOB}" in case.path:
        run = ctx.fs.cdn(f"{ctx.fs.api_key}/run_workflow=id:{ctx.h['WF']}/{ctx.h['A']}")
        assert run.status_code == 200, run.text
        values["JOB"] = run.json()["jobid"]
    path = case.path.format(**values)
    case.check(ctx, ctx.fs.cdn(path))


def test_every_task_the_sdks_emit_has_a_case() -> None:
    """The table covers filestack-js's transform schema and the other SDKs' task lists."""
    sdk_tasks = {
        "flip",
        "auto_image",
        "no_metadata",
        "compress",
        "flop",
        "enhance",
        "redeye",
        "monochrome",
        "negative",
        "tags",
        "sfw",
        "imagesize",
        "smart_crop",
        "animate",
        "metadata",
        "resize",
        "crop",
        "rotate",
        "detect_faces",
        "crop_faces",
        "pixelate_faces",
        "blur_faces",
        "rounded_corners",
        "vignette",
        "polaroid",
        "torn_edges",
        "shadow",
        "circle",
        "border",
        "sharpen",
        "blur",
        "blackwhite",
        "sepia",
        "pixelate",
        "oil_paint",
        "modulate",
        "ascii",
        "collage",
        "urlscreenshot",
        "upscale",
        "output",
        "pjpg",
        "quality",
        "cache",
        "video_convert",
        "store",
        "watermark",
        "partial_blur",
        "partial_pixelate",
        "security",
        "pdfinfo",
        "pdfconvert",
        "fallback",
        "zip",
        "minify_css",
        "minify_js",
        "ocr",
        "doc_to_images",
        "pdfcreate",
        "caption",
        "doc_detection",
        "image_sentiment",
        "text_sentiment",
        "qr",
        "slide",
        "video_playlist",
        "run_workflow",
        "workflow_status",
    }
    assert sdk_tasks <= {case.task for case in CASES}
