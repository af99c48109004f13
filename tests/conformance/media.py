"""Files the conformance tests upload: real photos (scikit-image's, shipped in its wheel) and
small generated images and documents in the formats the tasks are checked on."""

from __future__ import annotations

import functools
import io

import numpy as np
import skimage.data
from PIL import Image

ASTRONAUT_FACE = (170, 40, 120, 130)
"""Where the face is in the 512 x 512 astronaut photo: x, y, width, height (generous box)."""


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """``image`` encoded as ``fmt`` (a Pillow format name)."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def decode(data: bytes) -> Image.Image:
    """An encoded image, fully loaded."""
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@functools.cache
def astronaut() -> Image.Image:
    """A 512 x 512 RGB portrait with one clear face."""
    return Image.fromarray(skimage.data.astronaut()).convert("RGB")


@functools.cache
def astronaut_jpeg() -> bytes:
    return encode(astronaut(), "JPEG", quality=90)


@functools.cache
def coffee_jpeg() -> bytes:
    """A 400 x 600 photo without faces (a cup of coffee)."""
    return encode(Image.fromarray(skimage.data.coffee()).convert("RGB"), "JPEG", quality=90)


def gradient(width: int = 160, height: int = 120) -> Image.Image:
    """A smooth colour gradient: every pixel differs from its neighbours a little."""
    xs = np.linspace(0, 255, width, dtype=np.float32)
    ys = np.linspace(0, 255, height, dtype=np.float32)
    red = np.tile(xs, (height, 1))
    green = np.tile(ys[:, None], (1, width))
    blue = np.full((height, width), 128, dtype=np.float32)
    return Image.fromarray(np.dstack([red, green, blue]).astype(np.uint8), "RGB")


@functools.cache
def gradient_png() -> bytes:
    return encode(gradient(), "PNG")


def solid(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Image.Image:
    return Image.new("RGB", size, color)


@functools.cache
def animated_gif() -> bytes:
    """Two 64 x 48 frames: red, then blue."""
    frames = [solid((220, 20, 20)), solid((20, 20, 220))]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


@functools.cache
def bmp() -> bytes:
    return encode(gradient(64, 48), "BMP")


@functools.cache
def tiff() -> bytes:
    return encode(gradient(64, 48), "TIFF")


@functools.cache
def heic() -> bytes:
    """A 64 x 48 HEIC (pillow-heif writes it)."""
    import pillow_heif

    heif = pillow_heif.from_pillow(gradient(64, 48))
    out = io.BytesIO()
    heif.save(out, quality=80)
    return out.getvalue()


@functools.cache
def two_page_pdf() -> bytes:
    """A PDF of two pages, 200 x 100 points each: the first red, the second green."""
    pages = [solid((230, 30, 30), (200, 100)), solid((30, 200, 30), (200, 100))]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=pages[1:], resolution=72.0)
    return out.getvalue()


def mean_color(
    image: Image.Image, box: tuple[int, int, int, int] | None = None
) -> tuple[float, float, float]:
    """The average RGB of ``image`` (or of ``box`` = left, top, right, bottom)."""
    region = image.convert("RGB") if box is None else image.convert("RGB").crop(box)
    arr = np.asarray(region, dtype=np.float64)
    return tuple(float(v) for v in arr.reshape(-1, 3).mean(axis=0))  # type: ignore[return-value]


def local_detail(image: Image.Image, box: tuple[int, int, int, int] | None = None) -> float:
    """Mean absolute difference between horizontally adjacent pixels: high for detail, low for blur."""
    region = image.convert("L") if box is None else image.convert("L").crop(box)
    arr = np.asarray(region, dtype=np.float64)
    return float(np.abs(np.diff(arr, axis=1)).mean())


def differs(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute per-channel difference of two same-sized images (0 = identical)."""
    left = np.asarray(a.convert("RGB"), dtype=np.float64)
    right = np.asarray(b.convert("RGB").resize(a.size), dtype=np.float64)
    return float(np.abs(left - right).mean())
