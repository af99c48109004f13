"""Face detection shared by ``tags`` and face-aware cropping: NudeNet's face classes.

NudeNet was chosen over OpenCV's Haar cascade by measurement on this machine
(scikit-image's astronaut photo, 512 × 512): NudeNet found the face in the
original, mirrored, halved and 15°-rotated copies in 16–22 ms each, with no
false positive; the Haar cascade (OpenCV 4.14) took 77–148 ms and reported a
second "face" on the mirrored copy. NudeNet is needed by ``sfw`` anyway, so
faces cost no extra model, and OpenCV 5 wheels no longer ship the cascades.
"""

from __future__ import annotations

import logging

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.imaging import FaceBox, Limits

from .detections import INPUT_MAX_SIDE, MIN_SHORT_SIDE, detect, tiles
from .errors import IntelligenceError, ModelUnavailable
from .image import load_rgb
from .models import NUDE_DETECTOR

logger = logging.getLogger(__name__)

FACE_LABELS = frozenset({"FACE_FEMALE", "FACE_MALE"})
"""The detector classes that are faces."""

MIN_FACE_SCORE = 0.35
"""Face boxes below this confidence are ignored."""

WHOLE_SEARCH_SIDE = 640
"""The long side, at least, of a picture the detector searches whole: twice its 320 × 320 input.
On the 2000 × 1500 decode of a 12 MP photo, a box-reduced 667 × 500 copy instead of a bilinear
1280 × 960 thumbnail cut the face search by about a third on the development machine
(interleaved medians 60 ms against 95 ms, under load), finding the same face."""


WARM_UP_SIDE = 64
"""Side of the blank picture the detector is run on once when preloaded."""


class Face(BaseModel):
    """A face box in pixels of the image it was found in, with the detector's confidence."""

    model_config = ConfigDict(frozen=True)

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    confidence: float = Field(ge=0.0, le=1.0)

    @property
    def area(self) -> int:
        """Width × height in pixels."""
        return self.width * self.height

    def scaled(self, factor_x: float, factor_y: float) -> Face:
        """The same face in an image scaled by the given factors."""
        return Face(
            x=round(self.x * factor_x),
            y=round(self.y * factor_y),
            width=max(1, round(self.width * factor_x)),
            height=max(1, round(self.height * factor_y)),
            confidence=self.confidence,
        )


def detect_faces(image: Image.Image, min_score: float = MIN_FACE_SCORE) -> list[Face]:
    """The faces in ``image``, largest first.

    Large images are analysed on a smaller copy (:func:`search_copy`) and the
    boxes are mapped back to ``image``'s pixels.
    """
    working = search_copy(image.convert("RGB") if image.mode != "RGB" else image)
    factor_x = image.width / working.width
    factor_y = image.height / working.height
    faces = [
        Face(
            x=detection.x,
            y=detection.y,
            width=detection.width,
            height=detection.height,
            confidence=detection.score,
        ).scaled(factor_x, factor_y)
        for detection in detect(working)
        if detection.label in FACE_LABELS
        and detection.score >= min_score
        and detection.width > 0
        and detection.height > 0
    ]
    return sorted(faces, key=lambda face: face.area, reverse=True)


def search_copy(image: Image.Image) -> Image.Image:
    """``image`` at the size the detector needs, by a cheap integer box reduction where possible.

    A picture searched whole is seen by the detector at 320 × 320, so it is
    reduced to no less than :data:`WHOLE_SEARCH_SIDE` (twice that) on its long
    side; one searched in tiles keeps up to :data:`INPUT_MAX_SIDE` so each tile
    keeps its detail. ``image`` itself is returned when it is small enough.
    """
    long_side = max(image.size)
    target = WHOLE_SEARCH_SIDE if len(tiles(image.size)) == 1 else INPUT_MAX_SIDE
    factor = long_side // target
    if factor >= 2:
        return image.reduce(factor)
    if long_side > INPUT_MAX_SIDE:
        smaller = image.copy()
        smaller.thumbnail((INPUT_MAX_SIDE, INPUT_MAX_SIDE), Image.Resampling.BILINEAR)
        return smaller
    return image


def faces_in(data: bytes, limits: Limits) -> list[Face]:
    """The faces in the image ``data``, in pixels of the upright full-size image."""
    loaded = load_rgb(data, limits, max_side=INPUT_MAX_SIDE, min_short_side=MIN_SHORT_SIDE)
    factor_x, factor_y = loaded.to_full_size()
    return [face.scaled(factor_x, factor_y) for face in detect_faces(loaded.image)]


def preload_detector() -> bool:
    """Load the face detector in this process now; False (logged) when it cannot be loaded.

    Worker processes call it once at start, so the first face-aware crop does
    not pay for importing onnxruntime, loading the model and onnxruntime's
    first-inference set-up (together about 0.7 s): one detection runs on a
    small blank picture.
    """
    try:
        NUDE_DETECTOR.get()
        detect(Image.new("RGB", (WARM_UP_SIDE, WARM_UP_SIDE)))
    except ModelUnavailable as exc:
        logger.info("face detector not preloaded: %s", exc)
        return False
    return True


_warned = False


def _warn_once(reason: str) -> None:
    global _warned
    if not _warned:
        logger.warning(
            "face detection unavailable, face-aware crops use their fallback alignment: %s", reason
        )
        _warned = True


def face_boxes(image: Image.Image) -> list[FaceBox]:
    """The faces in ``image`` as boxes, left to right: the face finder of the imaging pipeline.

    When the detector cannot run here (a missing package or model) it finds nothing and
    logs a warning once per process; callers fall back to their plain alignment.
    """
    try:
        faces = detect_faces(image)
    except ImportError as exc:
        _warn_once(f"missing package {exc.name or exc}")
        return []
    except IntelligenceError as exc:
        _warn_once(str(exc))
        return []
    boxes = [
        (float(face.x), float(face.y), float(face.x + face.width), float(face.y + face.height))
        for face in faces
    ]
    return sorted(boxes, key=lambda box: (box[0], box[1]))
