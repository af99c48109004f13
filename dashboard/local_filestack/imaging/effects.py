"""Decorative steps: ``vignette``, ``polaroid``, ``torn_edges``, ``shadow`` and ``oil_paint``.

Masks and per-pixel arithmetic are numpy array expressions and OpenCV box filters; Pillow
composes, blurs and rotates. Nothing here loops over pixels in Python. numpy and OpenCV are
imported when a step runs, so the pipeline imports without them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageFilter

from .compositing import apply_mask, flatten, with_alpha
from .params import RGBA
from .steps import Size, Step

GAUSSIAN_WIDTH = 0.4
"""``blurmode:gaussian`` fades as exp(-(t / 0.4)²) over the reach t (0 at the ellipse, 1 at the corners)."""

OIL_LEVELS = 20
"""Intensity levels the oil-paint histogram is counted in (OpenCV's ``xphoto.oilPainting`` uses
a dynamic ratio to the same effect)."""


@dataclass(frozen=True)
class Vignette(Step):
    """Filestack's ``vignette``: the edges fade into ``background`` (default white).

    ``amount`` (0–100) is how far in from the edge the fade reaches, in percent of the
    distance from the centre to the edge; ``blurmode`` ``linear`` fades along a straight ramp,
    ``gaussian`` along a Gaussian curve (soft at first, full background well before the corners).
    """

    amount: int = 20
    blurmode: str = "gaussian"
    background: RGBA | None = (255, 255, 255, 255)

    def apply(self, image: Image.Image) -> Image.Image:
        import numpy as np

        if self.amount == 0:
            return image
        width, height = image.size
        ys, xs = np.ogrid[0:height, 0:width]
        # distance from the centre, 1.0 on the inscribed ellipse
        distance = np.sqrt(
            ((xs - (width - 1) / 2) / (width / 2)) ** 2 + ((ys - (height - 1) / 2) / (height / 2)) ** 2
        )
        inner = 1.0 - self.amount / 100
        # 0 inside the untouched ellipse, 1 at the corners
        reach = np.clip((distance - inner) / max(float(np.sqrt(2)) - inner, 1e-6), 0.0, 1.0)
        keep = 1.0 - reach if self.blurmode == "linear" else np.exp(-((reach / GAUSSIAN_WIDTH) ** 2))
        mask = Image.fromarray(np.rint(keep * 255).astype(np.uint8), "L")
        return apply_mask(image, mask, self.background)


@dataclass(frozen=True)
class Polaroid(Step):
    """Filestack's ``polaroid``: a photo print with a ``color`` frame (thicker below), turned by
    ``rotate`` degrees, with a soft shadow, on ``background``."""

    color: RGBA = (255, 250, 250, 255)
    rotate: int = 45
    background: RGBA | None = (255, 255, 255, 255)

    def output_size(self, size: Size) -> Size:
        side, bottom = _polaroid_frame(size)
        width, height = size[0] + 2 * side + 20, size[1] + side + bottom + 20
        radians = math.radians(self.rotate)
        cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
        return (math.ceil(width * cos + height * sin) + 1, math.ceil(width * sin + height * cos) + 1)

    def apply(self, image: Image.Image) -> Image.Image:
        side, bottom = _polaroid_frame(image.size)
        print_ = Image.new("RGBA", (image.width + 2 * side, image.height + side + bottom), self.color)
        print_.alpha_composite(with_alpha(image), (side, side))
        card = _with_shadow(print_, blur=4, offset=(3, 3), opacity=0.5, color=(0, 0, 0, 255))
        turned = card.rotate(-self.rotate, resample=Image.Resampling.BICUBIC, expand=True)
        return turned if self.background is None else flatten(turned, self.background)


def _polaroid_frame(size: Size) -> tuple[int, int]:
    """The frame's width on the top and sides, and below the photo (a print's wide bottom margin)."""
    side = max(4, round(min(size) * 0.05))
    return side, max(3 * side, round(min(size) * 0.18))


@dataclass(frozen=True)
class TornEdges(Step):
    """Filestack's ``torn_edges``: ragged edges, torn ``spread`` = [min, max] pixels deep, showing
    ``background`` (transparent when not given). The tear follows a smoothed random profile
    seeded by the image's size, so one URL always gives the same picture."""

    spread: tuple[int, int] = (1, 10)
    background: RGBA | None = None

    def apply(self, image: Image.Image) -> Image.Image:
        import numpy as np

        width, height = image.size
        low, high = self.spread
        rng = np.random.default_rng(width * 100_003 + height)

        def profile(length: int) -> Any:
            raw = rng.uniform(low, high, size=length + 8)
            smooth = np.convolve(raw, np.ones(5) / 5, mode="same")[4:-4]
            return np.maximum(np.rint(smooth), low).astype(np.int32)

        top, bottom, left, right = profile(width), profile(width), profile(height), profile(height)
        ys = np.arange(height)[:, None]
        xs = np.arange(width)[None, :]
        inside = (
            (ys >= top[None, :])
            & (ys < height - bottom[None, :])
            & (xs >= left[:, None])
            & (xs < width - right[:, None])
        )
        mask = Image.fromarray((inside * 255).astype(np.uint8), "L")
        return apply_mask(image, mask, self.background)


@dataclass(frozen=True)
class Shadow(Step):
    """Filestack's ``shadow``: a ``blur``-soft drop shadow of the image's shape, ``opacity``
    percent of ``color``, offset by ``vector`` [x, y]; the canvas grows to hold it, on
    ``background`` (transparent when not given)."""

    blur: float = 4
    opacity: int = 60
    vector: tuple[int, int] = (4, 4)
    color: RGBA = (0, 0, 0, 255)
    background: RGBA | None = None

    def output_size(self, size: Size) -> Size:
        margin = math.ceil(3 * self.blur)
        return (size[0] + abs(self.vector[0]) + 2 * margin, size[1] + abs(self.vector[1]) + 2 * margin)

    def apply(self, image: Image.Image) -> Image.Image:
        card = _with_shadow(
            with_alpha(image),
            blur=self.blur,
            offset=self.vector,
            opacity=self.opacity / 100,
            color=self.color,
        )
        return card if self.background is None else flatten(card, self.background)


def _with_shadow(
    image: Image.Image, *, blur: float, offset: tuple[int, int], opacity: float, color: RGBA
) -> Image.Image:
    """``image`` (RGBA) over its own blurred shadow, on a transparent canvas large enough for both."""
    margin = math.ceil(3 * blur)
    dx, dy = offset
    width = image.width + abs(dx) + 2 * margin
    height = image.height + abs(dy) + 2 * margin
    origin = (margin + max(0, -dx), margin + max(0, -dy))
    shade = Image.new("L", (width, height), 0)
    shade.paste(image.getchannel("A").point(lambda a: round(a * opacity)), (origin[0] + dx, origin[1] + dy))
    if blur > 0:
        shade = shade.filter(ImageFilter.GaussianBlur(blur))
    canvas = Image.new("RGBA", (width, height), (*color[:3], 0))
    canvas.putalpha(shade)
    canvas.alpha_composite(image, origin)
    return canvas


@dataclass(frozen=True)
class OilPaint(Step):
    """Filestack's ``oil_paint``: each pixel takes the mean colour of the most frequent intensity
    level in its ``amount`` × ``amount`` neighbourhood -- the classic oil-painting filter.

    Counted with one OpenCV box filter per intensity level, so the time does not grow with
    ``amount``.
    """

    amount: int = 2

    def apply(self, image: Image.Image) -> Image.Image:
        import cv2
        import numpy as np

        alpha = image.getchannel("A") if image.mode == "RGBA" else None
        rgb = np.asarray(image.convert("RGB"), dtype=np.float32)
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        levels = np.minimum((grey * OIL_LEVELS / 256).astype(np.int32), OIL_LEVELS - 1)
        kernel = (self.amount, self.amount)
        best_count = np.zeros(grey.shape, dtype=np.float32)  # every pixel counts its own level: >= 1
        best_colour = np.zeros_like(rgb)
        for level in range(OIL_LEVELS):  # a loop over 20 levels, each a whole-image operation
            member = (levels == level).astype(np.float32)
            count = cv2.boxFilter(member, -1, kernel, normalize=False, borderType=cv2.BORDER_REFLECT)
            better = count > best_count
            if not better.any():
                continue
            sums = cv2.boxFilter(
                rgb * member[..., None], -1, kernel, normalize=False, borderType=cv2.BORDER_REFLECT
            )
            best_colour[better] = sums[better] / count[better][:, None]
            best_count[better] = count[better]
        result = Image.fromarray(np.clip(best_colour, 0, 255).astype(np.uint8), "RGB")
        if alpha is not None:
            result.putalpha(alpha)
        return result
