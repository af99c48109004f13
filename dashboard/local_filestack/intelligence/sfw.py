"""``sfw``: is an image safe for work? NudeNet's detector, scored 0–100.

The score ``nsfw`` is the detector's highest confidence, in percent, among the
classes that count as not safe for work (:data:`NSFW_LABELS`): exposed
genitalia (female or male), exposed female breasts, exposed buttocks and an
exposed anus. Covered body parts, exposed feet, bellies, armpits and male
chests, and faces, do not count. ``sfw`` is ``nsfw <= 50`` -- the complement of
the documented ``{"type": "gt", "value": 50, "path": ["nsfw"]}`` condition.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.imaging import Limits

from .detections import INPUT_MAX_SIDE, MIN_SHORT_SIDE, Detection, detect
from .image import load_rgb

NSFW_LABELS = frozenset(
    {
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "BUTTOCKS_EXPOSED",
        "ANUS_EXPOSED",
    }
)
"""NudeNet classes whose presence makes an image not safe for work."""

SFW_THRESHOLD = 50.0
"""An image is safe for work while ``nsfw`` is at most this."""


class SfwResult(BaseModel):
    """The ``sfw`` action's data: Filestack's verdict plus a 0–100 score."""

    model_config = ConfigDict(frozen=True)

    sfw: bool
    nsfw: float = Field(
        ge=0.0, le=100.0, description="percent confidence that the image is not safe for work"
    )


def verdict(detections: Iterable[Detection]) -> SfwResult:
    """The verdict for a set of detector boxes."""
    score = max((detection.score for detection in detections if detection.label in NSFW_LABELS), default=0.0)
    nsfw = round(100.0 * score, 1)
    return SfwResult(sfw=nsfw <= SFW_THRESHOLD, nsfw=nsfw)


def check_sfw(data: bytes, limits: Limits = Limits()) -> dict[str, Any]:
    """The ``sfw`` data for the image ``data`` (module level: runs in the worker pool)."""
    loaded = load_rgb(data, limits, max_side=INPUT_MAX_SIDE, min_short_side=MIN_SHORT_SIDE)
    return verdict(detect(loaded.image)).model_dump()
