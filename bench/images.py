"""The benchmark's input images, generated into a directory on every run.

Each is photo-like: scikit-image's public-domain photographs (a portrait, a cat,
coffee, a rocket) laid out on a canvas, enlarged and overlaid with fine grain,
so the files compress the way camera pictures do (about 0.2 bytes per pixel
at JPEG quality 90) rather than like flat synthetic colour. The portrait keeps
a face in the picture for the face-aware crop of the profile workflow.

    .venv/bin/python bench/images.py OUTPUT_DIR    # writes the files, prints what it wrote
"""

from __future__ import annotations

import argparse
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

GRAIN_SIGMA = 5.0
"""Standard deviation of the added grain, in 8-bit levels (a phone photo at base ISO)."""

JPEG_QUALITY = 90
SEED = 20261123


@dataclass(frozen=True)
class InputSpec:
    """One generated input: its name, format and pixel size."""

    name: str
    fmt: str
    width: int
    height: int

    @property
    def filename(self) -> str:
        extension = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}[self.fmt]
        return f"{self.name}.{extension}"

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


INPUTS: tuple[InputSpec, ...] = (
    InputSpec("jpeg-12mp", "JPEG", 4000, 3000),
    InputSpec("jpeg-24mp", "JPEG", 6000, 4000),
    InputSpec("jpeg-50mp", "JPEG", 8660, 5774),
    InputSpec("png-24mp", "PNG", 6000, 4000),
    InputSpec("webp-12mp", "WEBP", 4000, 3000),
)
"""12, 24 and 50 MP JPEG, a 24 MP PNG and a 4000 × 3000 WebP."""


def _collage(width: int, height: int) -> Image.Image:
    """Four photographs on a canvas of the given size, the portrait on the right third."""
    import skimage.data

    canvas = Image.new("RGB", (width, height), (96, 104, 112))
    left_width = width * 2 // 3
    half = height // 2
    scenery = (
        (skimage.data.coffee(), (0, 0, left_width // 2, half)),
        (skimage.data.chelsea(), (left_width // 2, 0, left_width, half)),
        (skimage.data.rocket(), (0, half, left_width, height)),
        (skimage.data.astronaut(), (left_width, 0, width, height)),
    )
    for pixels, (left, top, right, bottom) in scenery:
        picture = Image.fromarray(pixels).convert("RGB")
        canvas.paste(_cover(picture, (right - left, bottom - top)), (left, top))
    return canvas


def _cover(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """``picture`` scaled to cover ``size`` and centre-cropped to it."""
    factor = max(size[0] / picture.width, size[1] / picture.height)
    scaled = picture.resize(
        (max(size[0], round(picture.width * factor)), max(size[1], round(picture.height * factor))),
        Image.Resampling.BICUBIC,
    )
    left = (scaled.width - size[0]) // 2
    top = (scaled.height - size[1]) // 2
    return scaled.crop((left, top, left + size[0], top + size[1]))


def _with_grain(image: Image.Image, rng: np.random.Generator) -> Image.Image:
    """``image`` with Gaussian grain, row band by row band to bound memory."""
    pixels = np.asarray(image, dtype=np.uint8)
    out = np.empty_like(pixels)
    band = 512
    for top in range(0, pixels.shape[0], band):
        chunk = pixels[top : top + band].astype(np.int16)
        grain = rng.normal(0.0, GRAIN_SIGMA, size=chunk.shape[:2] + (1,)).astype(np.int16)
        out[top : top + band] = np.clip(chunk + grain, 0, 255).astype(np.uint8)
    return Image.fromarray(out)


def render(spec: InputSpec) -> bytes:
    """The encoded bytes of one input."""
    rng = np.random.default_rng(SEED + spec.width)
    image = _with_grain(_collage(spec.width, spec.height), rng)
    buffer = io.BytesIO()
    if spec.fmt == "JPEG":
        image.save(buffer, "JPEG", quality=JPEG_QUALITY, subsampling="4:2:0")
    elif spec.fmt == "PNG":
        image.save(buffer, "PNG", compress_level=1)
    else:
        image.save(buffer, "WEBP", quality=JPEG_QUALITY, method=2)
    return buffer.getvalue()


def generate(directory: Path) -> dict[str, Path]:
    """Write every input into ``directory`` (reusing files already there); name -> path."""
    directory.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for spec in INPUTS:
        path = directory / spec.filename
        if not path.exists():
            partial = path.with_suffix(path.suffix + ".part")
            partial.write_bytes(render(spec))
            partial.replace(path)
        paths[spec.name] = path
    return paths


def spec(name: str) -> InputSpec:
    """The input called ``name``."""
    for candidate in INPUTS:
        if candidate.name == name:
            return candidate
    raise KeyError(name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path)
    args = parser.parse_args()
    for name, path in generate(args.directory).items():
        print(f"{name}: {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
