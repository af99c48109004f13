"""Face boxes for face-aware crops, from the offline detector when it is installed.

The detector lives in :mod:`dashboard.local_filestack.intelligence.faces` and
is imported on first use, so image processing works without its packages:
then, or when the detector fails, :func:`find_faces` returns ``None`` and logs
a warning once per process, and callers fall back to their plain alignment.
"""

from __future__ import annotations

import logging
from typing import Optional

from PIL import Image

logger = logging.getLogger(__name__)

FaceBox = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in pixels of the image searched."""

_warned = False


def _warn_once(reason: str) -> None:
    global _warned
    if not _warned:
        logger.warning("face detection unavailable, face-aware crops use their fallback alignment: %s", reason)
        _warned = True


def find_faces(image: Image.Image) -> Optional[list[FaceBox]]:
    """The faces in ``image``, left to right; ``None`` when no detector can run here."""
    try:
        from dashboard.local_filestack.intelligence.errors import IntelligenceError
        from dashboard.local_filestack.intelligence.faces import detect_faces
    except ImportError as exc:
        _warn_once(f"missing package {exc.name or exc}")
        return None
    try:
        faces = detect_faces(image.convert("RGB") if image.mode != "RGB" else image)
    except IntelligenceError as exc:
        _warn_once(str(exc))
        return None
    boxes = [(float(face.x), float(face.y), float(face.x + face.width), float(face.y + face.height)) for face in faces]
    return sorted(boxes, key=lambda box: (box[0], box[1]))


def union(boxes: list[FaceBox]) -> FaceBox:
    """The smallest box holding every box of ``boxes`` (not empty)."""
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )
