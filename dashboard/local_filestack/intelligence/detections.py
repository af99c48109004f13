"""NudeNet detections: the detector's boxes as typed values, one pass per image.

NudeNet's ``320n`` model finds eighteen classes of body parts (exposed or
covered) and faces (``FACE_FEMALE``, ``FACE_MALE``). ``sfw`` reads the
exposed-part classes, face detection the face classes; both come from the
same pass through :func:`detect`.

The detector sees a square, 320 × 320 picture. A long, narrow image is
therefore looked at in overlapping square tiles (each as tall as the image is
wide, or the reverse), so a face in a panorama keeps enough pixels to be
found; the boxes of all tiles are merged, overlapping boxes of the same class
keeping the most confident.
"""

from __future__ import annotations

import math

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from .image import to_bgr
from .models import NUDE_DETECTOR

INPUT_MAX_SIDE = 1280
"""Images are decoded no larger than this: the detector itself looks at 320 × 320."""

MIN_SHORT_SIDE = 640
"""Images are decoded no smaller than this on their short side: twice what a tile is shrunk to."""

TILE_ASPECT = 1.6
"""Images longer than this many times their width (or the reverse) are searched in tiles;
3:2 photographs are looked at whole, 16:9 frames and panoramas in tiles."""

MAX_TILES = 8
OVERLAP_IOU = 0.5


class Detection(BaseModel):
    """One box found by the detector, in pixels of the analysed image."""

    model_config = ConfigDict(frozen=True)

    label: str
    score: float = Field(ge=0.0, le=1.0)
    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=0)
    height: int = Field(ge=0)


def tiles(size: tuple[int, int]) -> list[tuple[int, int, int, int]]:
    """The square tiles (``left, top, right, bottom``) an image of ``size`` is searched in."""
    width, height = size
    long_side, short_side = max(width, height), min(width, height)
    if short_side == 0 or long_side <= short_side * TILE_ASPECT:
        return [(0, 0, width, height)]
    # Half-overlapping squares; past MAX_TILES the tiles grow longer instead, so none is missed.
    side = max(short_side, math.ceil(2 * long_side / (MAX_TILES + 1)))
    count = min(MAX_TILES, math.ceil((long_side - side) / (side / 2)) + 1)
    step = (long_side - side) / (count - 1)
    starts = [round(index * step) for index in range(count)]
    if width > height:
        return [(start, 0, start + side, height) for start in starts]
    return [(0, start, width, start + side) for start in starts]


def _iou(first: Detection, second: Detection) -> float:
    """Intersection over union of two boxes."""
    left = max(first.x, second.x)
    top = max(first.y, second.y)
    right = min(first.x + first.width, second.x + second.width)
    bottom = min(first.y + first.height, second.y + second.height)
    overlap = max(0, right - left) * max(0, bottom - top)
    total = first.width * first.height + second.width * second.height - overlap
    return overlap / total if total > 0 else 0.0


def _merged(detections: list[Detection]) -> list[Detection]:
    """Best first, without boxes that repeat a more confident box of the same class."""
    kept: list[Detection] = []
    for detection in sorted(detections, key=lambda item: item.score, reverse=True):
        if all(other.label != detection.label or _iou(other, detection) < OVERLAP_IOU for other in kept):
            kept.append(detection)
    return kept


def _detect_tile(image: Image.Image, offset: tuple[int, int]) -> list[Detection]:
    raw = NUDE_DETECTOR.get().detect(to_bgr(image))
    return [
        Detection(
            label=str(item["class"]),
            score=min(1.0, max(0.0, float(item["score"]))),
            x=max(0, int(item["box"][0])) + offset[0],
            y=max(0, int(item["box"][1])) + offset[1],
            width=max(0, int(item["box"][2])),
            height=max(0, int(item["box"][3])),
        )
        for item in raw
    ]


def detect(image: Image.Image) -> list[Detection]:
    """Every box NudeNet finds in ``image`` (an ``RGB`` image), best first."""
    found: list[Detection] = []
    for box in tiles(image.size):
        tile = image if box == (0, 0, *image.size) else image.crop(box)
        found += _detect_tile(tile, box[:2])
    return _merged(found)
