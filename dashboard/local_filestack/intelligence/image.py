"""Decoding untrusted bytes for analysis: the CDN's own safe decoder, at a useful size.

Every action decodes through :func:`dashboard.local_filestack.imaging.decode.decode`,
so the limits, the content sniffing and the EXIF orientation are exactly those of
the Processing API; JPEGs are shrunk on load when the model needs fewer pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from PIL import Image

from dashboard.local_filestack.imaging import ImagingError, Limits
from dashboard.local_filestack.imaging.decode import decode

from .errors import UnreadableImage

if TYPE_CHECKING:
    import numpy as np


@dataclass(frozen=True)
class Loaded:
    """An upright ``RGB`` image to analyse and the upright size of the full-resolution original."""

    image: Image.Image
    full_size: tuple[int, int]

    def to_full_size(self) -> tuple[float, float]:
        """Factors mapping pixels of :attr:`image` onto the full-resolution original."""
        return self.full_size[0] / self.image.width, self.full_size[1] / self.image.height


def load_rgb(
    data: bytes, limits: Limits, max_side: int | None = None, min_short_side: int | None = None
) -> Loaded:
    """``data`` as an upright ``RGB`` image, no longer than ``max_side`` on its long side.

    With ``min_short_side`` a JPEG may be decoded smaller, down to that many
    pixels on its short side, before the long side is capped.

    Transparent areas are composited on white (text and faces on a transparent
    background stay visible). Raises :class:`UnreadableImage`.
    """

    def scale_for(size: tuple[int, int]) -> float:
        if min_short_side is not None:
            return min(1.0, min_short_side / max(1, min(size)))
        if max_side is None:
            return 1.0
        return min(1.0, max_side / max(size))

    try:
        decoded = decode(data, limits, scale_for=scale_for)
    except ImagingError as exc:
        raise UnreadableImage(exc.message) from exc
    image = decoded.image
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        image = background
    elif image.mode != "RGB":
        image = image.convert("RGB")
    if max_side is not None and max(image.size) > max_side:
        image = image.copy()
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS, reducing_gap=2.0)
    return Loaded(image=image, full_size=decoded.full_size)


def to_bgr(image: Image.Image) -> np.ndarray:
    """An ``RGB`` image as a contiguous ``uint8`` BGR array (OpenCV's channel order)."""
    import numpy as np

    return np.ascontiguousarray(np.asarray(image.convert("RGB"), dtype=np.uint8)[:, :, ::-1])
