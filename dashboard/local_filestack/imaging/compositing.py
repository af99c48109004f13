"""Alpha and colour helpers shared by the pixel steps and the encoder.

The working image of the pipeline is always ``RGB`` or ``RGBA``; these helpers
keep it that way while adding, masking or flattening transparency.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

from PIL import Image, ImageChops

from .params import RGBA

ColourOperation = Callable[[Image.Image], Image.Image]
"""A function from an RGB image to an RGB or L image of the same size."""

OPAQUE = 255
WHITE: RGBA = (255, 255, 255, 255)
BLACK: RGBA = (0, 0, 0, 255)


def with_alpha(image: Image.Image) -> Image.Image:
    """``image`` as RGBA (unchanged when it already is)."""
    return image if image.mode == "RGBA" else image.convert("RGBA")


def fill_for(image: Image.Image, color: RGBA) -> tuple[int, ...]:
    """``color`` in the shape Pillow expects for a fill on ``image``'s mode."""
    return color if image.mode == "RGBA" else color[:3]


def prepare_for_fill(image: Image.Image, color: RGBA) -> Image.Image:
    """``image`` with an alpha channel when ``color`` is not fully opaque."""
    return with_alpha(image) if color[3] < OPAQUE else image


def has_transparency(image: Image.Image) -> bool:
    """True when at least one pixel of ``image`` is not fully opaque."""
    if image.mode != "RGBA":
        return False
    lowest_alpha, _ = cast(tuple[int, int], image.getchannel("A").getextrema())
    return lowest_alpha < OPAQUE


def flatten(image: Image.Image, background: RGBA) -> Image.Image:
    """Composite ``image`` over a solid ``background``.

    Returns RGB when the background is opaque, RGBA otherwise; an RGB image is
    returned as is since there is nothing to show through.
    """
    if image.mode != "RGBA":
        return image
    canvas = Image.new("RGBA", image.size, background)
    canvas.alpha_composite(image)
    return canvas.convert("RGB") if background[3] == OPAQUE else canvas


def apply_mask(image: Image.Image, mask: Image.Image, background: RGBA | None) -> Image.Image:
    """Make ``image`` transparent where the ``L`` mask is dark, then flatten onto ``background``.

    The mask is multiplied into any existing alpha so earlier transparency is kept.
    """
    rgba = image.convert("RGBA")  # a copy, so the caller's image is left as it was
    rgba.putalpha(ImageChops.multiply(rgba.getchannel("A"), mask))
    return rgba if background is None else flatten(rgba, background)


def on_colour(image: Image.Image, operation: ColourOperation) -> Image.Image:
    """Apply ``operation`` to the colour channels of ``image``, keeping its alpha untouched.

    The result is RGB or RGBA like the input, even when ``operation`` returns ``L``.
    """
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    colour = image.convert("RGB") if alpha is not None else image
    result = operation(colour)
    if result.mode != "RGB":
        result = result.convert("RGB")
    if alpha is not None:
        result.putalpha(alpha)
    return result
