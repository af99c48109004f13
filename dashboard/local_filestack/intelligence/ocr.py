"""``ocr``: the text in an image, read by RapidOCR (PP-OCRv4 models bundled in its wheel).

The data holds the whole ``text`` (lines joined by newlines, top to bottom) and
each line with its ``confidence`` (percent), its ``box`` (the four corners of
the detected quadrilateral, clockwise from the top left) and its ``bounds``
(the axis-aligned rectangle around it), all in pixels of the upright original.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.imaging import Limits

from .image import load_rgb, to_bgr
from .models import OCR_ENGINE

if TYPE_CHECKING:
    import numpy as np

MAX_SIDE = 2000
"""Images are read no larger than this on their long side (RapidOCR's own cap)."""


class Bounds(BaseModel):
    """An axis-aligned rectangle in pixels."""

    model_config = ConfigDict(frozen=True)

    x: int
    y: int
    width: int = Field(ge=0)
    height: int = Field(ge=0)


class TextLine(BaseModel):
    """One recognised line of text."""

    model_config = ConfigDict(frozen=True)

    text: str
    confidence: float = Field(ge=0.0, le=100.0)
    box: list[tuple[int, int]] = Field(min_length=4, max_length=4)
    bounds: Bounds


class OcrResult(BaseModel):
    """The ``ocr`` action's data."""

    model_config = ConfigDict(frozen=True)

    text: str
    lines: list[TextLine]


def _line(points: Sequence[Sequence[float]], text: str, score: float, scale: tuple[float, float]) -> TextLine:
    """A RapidOCR result row in pixels of the original image."""
    corners = [(round(float(x) * scale[0]), round(float(y) * scale[1])) for x, y in points]
    xs = [x for x, _ in corners]
    ys = [y for _, y in corners]
    left, top = max(0, min(xs)), max(0, min(ys))
    return TextLine(
        text=text,
        confidence=round(min(1.0, max(0.0, float(score))) * 100.0, 1),
        box=corners,
        bounds=Bounds(x=left, y=top, width=max(xs) - left, height=max(ys) - top),
    )


def read_lines(image_bgr: np.ndarray, scale: tuple[float, float] = (1.0, 1.0)) -> OcrResult:
    """Recognise the text of a BGR array; ``scale`` maps its pixels onto the original's."""
    rows, _elapsed = OCR_ENGINE.get()(image_bgr)
    lines = [
        _line(points, str(text), float(score), scale)
        for points, text, score in (rows or [])
        if str(text).strip()
    ]
    return OcrResult(text="\n".join(line.text for line in lines), lines=lines)


def read_text(data: bytes, limits: Limits = Limits()) -> dict[str, Any]:
    """The ``ocr`` data for the image ``data`` (module level: runs in the worker pool)."""
    loaded = load_rgb(data, limits, max_side=MAX_SIDE)
    return read_lines(to_bgr(loaded.image), loaded.to_full_size()).model_dump(mode="json")
