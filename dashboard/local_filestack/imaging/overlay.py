"""Steps that bring other stored images in: ``watermark`` and ``collage``.

The files they name (by handle) are read by the caller and handed to the pipeline as
``assets`` (handle -> bytes); they are decoded here with the same header checks as any
source (:func:`.decode.decode`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image

from .compositing import flatten, with_alpha
from .decode import decode
from .errors import UnsupportedTask
from .limits import Limits
from .params import RGBA
from .steps import REDUCING_GAP, Align, Resize, Size, Step


def _asset(assets: Mapping[str, bytes], handle: str, task: str, limits: Limits) -> Image.Image:
    data = assets.get(handle)
    if data is None:
        raise UnsupportedTask(f"{task}: file '{handle}' was not provided")
    return decode(data, limits).image


@dataclass(frozen=True)
class Watermark(Step):
    """Filestack's ``watermark``: the image ``file`` laid over this one at ``position``,
    scaled to ``size`` percent of its own size (and never larger than this image)."""

    file: str
    size: float = 100
    position: Align = field(default_factory=Align)
    assets: Mapping[str, bytes] = field(default_factory=dict, compare=False)
    limits: Limits = field(default_factory=Limits, compare=False)

    def apply(self, image: Image.Image) -> Image.Image:
        mark = with_alpha(_asset(self.assets, self.file, "watermark", self.limits))
        scale = min(self.size / 100, image.width / mark.width, image.height / mark.height)
        target = (max(1, round(mark.width * scale)), max(1, round(mark.height * scale)))
        if target != mark.size:
            mark = mark.resize(target, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)
        left = round((image.width - mark.width) * self.position.horizontal)
        top = round((image.height - mark.height) * self.position.vertical)
        out = with_alpha(image)
        out.alpha_composite(mark, (left, top))
        return out if image.mode == "RGBA" else out.convert("RGB")


@dataclass(frozen=True)
class Collage(Step):
    """Filestack's ``collage``: this image and ``files`` laid out in a grid on a ``width`` ×
    ``height`` canvas of ``color``, ``margin`` pixels apart.

    The grid (rows × columns) is the one whose cells waste the least area for these images;
    ``fit:auto`` fits each image inside its cell, ``fit:crop`` fills the cell and trims the
    overflow. ``autorotate`` turns an image a quarter turn when that fits its cell better.
    """

    files: tuple[str, ...]
    width: int
    height: int
    margin: int = 10
    color: RGBA = (255, 255, 255, 255)
    fit: Literal["auto", "crop"] = "auto"
    autorotate: bool = False
    assets: Mapping[str, bytes] = field(default_factory=dict, compare=False)
    limits: Limits = field(default_factory=Limits, compare=False)

    def output_size(self, size: Size) -> Size:
        return (self.width, self.height)

    def apply(self, image: Image.Image) -> Image.Image:
        images = [image, *(_asset(self.assets, handle, "collage", self.limits) for handle in self.files)]
        rows, columns = self._grid(images)
        cell_w = (self.width - (columns + 1) * self.margin) / columns
        cell_h = (self.height - (rows + 1) * self.margin) / rows
        if cell_w < 1 or cell_h < 1:
            raise UnsupportedTask(
                f"collage: {len(images)} images with margin {self.margin} do not fit {self.width}x{self.height}"
            )
        canvas = Image.new("RGBA", (self.width, self.height), self.color)
        for index, picture in enumerate(images):
            row, column = divmod(index, columns)
            cell = (max(1, math.floor(cell_w)), max(1, math.floor(cell_h)))
            if self.autorotate and (picture.width > picture.height) != (cell[0] > cell[1]):
                picture = picture.transpose(Image.Transpose.ROTATE_90)
            fitted = Resize(
                width=cell[0], height=cell[1], fit="crop" if self.fit == "crop" else "clip"
            ).apply(picture)
            left = round(self.margin + column * (cell_w + self.margin) + (cell[0] - fitted.width) / 2)
            top = round(self.margin + row * (cell_h + self.margin) + (cell[1] - fitted.height) / 2)
            canvas.alpha_composite(with_alpha(fitted), (left, top))
        return canvas if self.color[3] < 255 else flatten(canvas, self.color)

    def _grid(self, images: list[Image.Image]) -> tuple[int, int]:
        """Rows and columns whose cells, fitted with these images, cover the most of the canvas."""
        count = len(images)
        best: tuple[float, int, int] = (-1.0, 1, count)
        for columns in range(1, count + 1):
            rows = math.ceil(count / columns)
            cell_w = (self.width - (columns + 1) * self.margin) / columns
            cell_h = (self.height - (rows + 1) * self.margin) / rows
            if cell_w <= 0 or cell_h <= 0:
                continue
            covered = sum(
                min(cell_w / im.width, cell_h / im.height) ** 2 * im.width * im.height for im in images
            )
            if covered > best[0]:
                best = (covered, rows, columns)
        return best[1], best[2]
