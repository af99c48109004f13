"""Face detection shared by ``tags`` and face-aware cropping: NudeNet's face classes.

NudeNet was chosen over OpenCV's Haar cascade by measurement on this machine
(scikit-image's astronaut photo, 512 × 512): NudeNet found the face in the
original, mirrored, halved and 15°-rotated copies in 16–22 ms each, with no
false positive; the Haar cascade (OpenCV 4.14) took 77–148 ms and reported a
second "face" on the mirrored copy. NudeNet is needed by ``sfw`` anyway, so
faces cost no extra model, and OpenCV 5 wheels no longer ship the cascades.
"""

from __future__ import annotations

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.imaging import Limits

from .detections import INPUT_MAX_SIDE, MIN_SHORT_SIDE, detect
from .image import load_rgb

FACE_LABELS = frozenset({"FACE_FEMALE", "FACE_MALE"})
"""The detector classes that are faces."""

MIN_FACE_SCORE = 0.35
"""Face boxes below this confidence are ignored."""


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

    Large images are analysed on a copy no longer than 1280 px and the boxes are
    mapped back to ``image``'s pixels.
    """
    working = image.convert("RGB") if image.mode != "RGB" else image
    if max(working.size) > INPUT_MAX_SIDE:
        working = working.copy()
        working.thumbnail((INPUT_MAX_SIDE, INPUT_MAX_SIDE), Image.Resampling.BILINEAR)
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


def faces_in(data: bytes, limits: Limits) -> list[Face]:
    """The faces in the image ``data``, in pixels of the upright full-size image."""
    loaded = load_rgb(data, limits, max_side=INPUT_MAX_SIDE, min_short_side=MIN_SHORT_SIDE)
    factor_x, factor_y = loaded.to_full_size()
    return [face.scaled(factor_x, factor_y) for face in detect_faces(loaded.image)]
