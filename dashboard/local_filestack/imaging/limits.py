"""Resource limits applied to every image before it is decoded."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Caps checked from the image header, before any pixel is decoded.

    ``max_pixels`` also bounds every intermediate canvas (an upscaling resize, a
    rotation or a border cannot grow past it). Pillow's own decompression-bomb
    guard (``PIL.Image.MAX_IMAGE_PIXELS``, twice its value is a hard error)
    still applies underneath and is reported as :class:`ImageTooLarge` too.
    """

    max_pixels: int = 100_000_000
    max_frames: int = 1000
