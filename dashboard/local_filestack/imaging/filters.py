"""Pixel steps that change colours or detail, keeping the image's size and alpha."""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageEnhance, ImageFilter, ImageOps

from .compositing import on_colour
from .steps import Step

_SEPIA_MATRIX = (
    0.393, 0.769, 0.189, 0.0,
    0.349, 0.686, 0.168, 0.0,
    0.272, 0.534, 0.131, 0.0,
)  # fmt: skip
"""The classic sepia colour matrix, as ``Image.convert("RGB", matrix)`` expects it."""

_SHARPEN_PERCENT = 150


class ColourStep(Step):
    """A per-pixel colour change: it commutes with scaling, so it never blocks shrink-on-load."""

    def is_scale_invariant(self) -> bool:
        return True


@dataclass(frozen=True)
class Blur(Step):
    """Filestack's ``blur``: a Gaussian blur of radius ``amount`` pixels (0 leaves the image)."""

    amount: float = 2

    def apply(self, image: Image.Image) -> Image.Image:
        if self.amount == 0:
            return image
        blur = ImageFilter.GaussianBlur(self.amount)
        if image.mode == "RGBA":
            # Premultiplied alpha keeps transparent pixels' colour from bleeding in.
            return image.convert("RGBa").filter(blur).convert("RGBA")
        return image.filter(blur)


@dataclass(frozen=True)
class Sharpen(Step):
    """Filestack's ``sharpen``: an unsharp mask of radius ``amount`` pixels (0 leaves the image)."""

    amount: float = 2

    def apply(self, image: Image.Image) -> Image.Image:
        if self.amount == 0:
            return image
        sharpen = ImageFilter.UnsharpMask(radius=self.amount, percent=_SHARPEN_PERCENT, threshold=0)
        return on_colour(image, lambda rgb: rgb.filter(sharpen))


@dataclass(frozen=True)
class Monochrome(ColourStep):
    """Filestack's ``monochrome``: shades of grey."""

    def apply(self, image: Image.Image) -> Image.Image:
        return on_colour(image, lambda rgb: rgb.convert("L"))


@dataclass(frozen=True)
class BlackWhite(ColourStep):
    """Filestack's ``blackwhite``: black or white, split at ``threshold`` percent of luminance."""

    threshold: int = 50

    def apply(self, image: Image.Image) -> Image.Image:
        table = [255 if level * 100 > self.threshold * 255 else 0 for level in range(256)]
        return on_colour(image, lambda rgb: rgb.convert("L").point(table))


@dataclass(frozen=True)
class Sepia(ColourStep):
    """Filestack's ``sepia``, approximated: the sepia matrix blended in at ``tone`` percent."""

    tone: int = 80

    def apply(self, image: Image.Image) -> Image.Image:
        if self.tone == 0:
            return image

        def tint(rgb: Image.Image) -> Image.Image:
            toned = rgb.convert("RGB", _SEPIA_MATRIX)
            return Image.blend(rgb, toned, self.tone / 100)

        return on_colour(image, tint)


@dataclass(frozen=True)
class Negative(ColourStep):
    """Filestack's ``negative``: inverted colours."""

    def apply(self, image: Image.Image) -> Image.Image:
        return on_colour(image, ImageOps.invert)


@dataclass(frozen=True)
class Modulate(ColourStep):
    """Filestack's ``modulate``: brightness and saturation in percent, hue rotation in degrees."""

    brightness: int = 100
    saturation: int = 100
    hue: int = 0

    def apply(self, image: Image.Image) -> Image.Image:
        if (self.brightness, self.saturation, self.hue) == (100, 100, 0):
            return image
        return on_colour(image, self._modulate)

    def _modulate(self, rgb: Image.Image) -> Image.Image:
        if self.brightness != 100:
            rgb = ImageEnhance.Brightness(rgb).enhance(self.brightness / 100)
        if self.saturation != 100:
            rgb = ImageEnhance.Color(rgb).enhance(self.saturation / 100)
        if self.hue != 0:
            rgb = _rotate_hue(rgb, self.hue)
        return rgb


def _rotate_hue(rgb: Image.Image, degrees: int) -> Image.Image:
    """Turn every colour's hue by ``degrees`` around the colour wheel."""
    shift = round(degrees * 256 / 360)
    hue, saturation, value = rgb.convert("HSV").split()
    hue = hue.point([(level + shift) % 256 for level in range(256)])
    return Image.merge("HSV", (hue, saturation, value)).convert("RGB")
