"""Face boxes for face-aware crops: the shape of a face finder, and how boxes combine.

Imaging does not detect faces itself. Whoever runs :func:`~.pipeline.transform` passes a
:data:`FaceFinder` (the service passes the offline detector of
:mod:`dashboard.local_filestack.intelligence`); without one, ``align:faces`` and
``crop_faces`` use their fallback alignment, as when no face is found.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PIL import Image

FaceBox = tuple[float, float, float, float]
"""``(left, top, right, bottom)`` in pixels of the image searched."""

FaceFinder = Callable[[Image.Image], Sequence[FaceBox]]
"""The faces of an image, left to right (empty when there are none or none can be looked for).
A module-level function, so it can travel to a worker process with the task."""


def union(boxes: Sequence[FaceBox]) -> FaceBox:
    """The smallest box holding every box of ``boxes`` (not empty)."""
    return (
        min(box[0] for box in boxes),
        min(box[1] for box in boxes),
        max(box[2] for box in boxes),
        max(box[3] for box in boxes),
    )
