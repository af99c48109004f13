"""Pixel steps that change an image's geometry or shape.

Every step takes and returns an ``RGB`` or ``RGBA`` image and can tell, without
touching pixels, the size it will produce (:meth:`Step.output_size`) and
whether its result would look the same on a downscaled copy of the input
(:meth:`Step.is_scale_invariant`), which lets the pipeline decode JPEGs at a
reduced size.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter, ImageOps

from .compositing import apply_mask, fill_for, flatten, prepare_for_fill
from .errors import UnsupportedTask
from .faces import FaceBox, FaceFinder, union
from .params import RGBA

Size = tuple[int, int]
Box = tuple[float, float, float, float]
Fit = Literal["clip", "crop", "scale", "max"]
FaceCropMode = Literal["crop", "thumb", "fill"]

REDUCING_GAP = 2.0
"""``Image.resize(reducing_gap=...)``: box-reduce first while the source is over 2x the target."""

_MASK_SUPERSAMPLING = 4
_MAX_MASK_SIDE = 8192
"""Anti-aliased masks are drawn this much larger, within this side length, then reduced."""


class Step(ABC):
    """One pixel operation of a task chain."""

    def output_size(self, size: Size) -> Size:
        """The size :meth:`apply` produces from an image of ``size``."""
        return size

    def is_scale_invariant(self) -> bool:
        """True when applying the step to a downscaled image then scaling looks the same.

        Such steps may precede a resize without forcing a full-resolution decode.
        """
        return False

    @abstractmethod
    def apply(self, image: Image.Image) -> Image.Image:
        """Return the transformed image (``image`` itself when nothing changes)."""


@dataclass(frozen=True)
class Align:
    """Where a ``fit:crop`` resize keeps the image: 0 is left/top, 1 right/bottom.

    With ``faces`` the kept part is centred on the detected faces instead, and
    ``horizontal``/``vertical`` apply only when no face is found.
    """

    horizontal: float = 0.5
    vertical: float = 0.5
    faces: bool = False


@dataclass(frozen=True)
class Resize(Step):
    """Filestack's ``resize``: ``clip``, ``crop``, ``scale`` or ``max`` into width × height.

    With a single dimension the other follows the aspect ratio whatever the fit.
    ``clip`` fits inside the box (upscaling if needed), ``max`` does the same
    without upscaling, ``scale`` stretches to the box and ``crop`` covers the
    box then trims the overflow on the side given by ``align``.
    """

    width: int | None
    height: int | None
    fit: Fit = "clip"
    align: Align = Align()
    #: Finds the faces ``align:faces`` centres on (none: the fallback alignment).
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def output_size(self, size: Size) -> Size:
        return self._plan(size)[0]

    def apply(self, image: Image.Image, nominal_size: Size | None = None) -> Image.Image:
        """Resize ``image``, computing the geometry from ``nominal_size``.

        ``nominal_size`` is the size the image would have had without
        shrink-on-load; geometry is computed from it so the output matches a
        full-resolution decode pixel for pixel in size, then mapped onto the
        smaller decoded image.
        """
        nominal = nominal_size or image.size
        target, box = self._plan(nominal)
        if box is not None and self.align.faces:
            box = self._face_box(image, nominal, box)
        if box is None and target == image.size:
            return image
        source_box = _scale_box(box or (0.0, 0.0, *nominal), nominal, image.size)
        return image.resize(target, Image.Resampling.LANCZOS, box=source_box, reducing_gap=REDUCING_GAP)

    def _plan(self, size: Size) -> tuple[Size, Box | None]:
        """Output size and, for ``fit:crop``, the source box kept, both for an image of ``size``."""
        width, height = size
        if self.width is not None and self.height is not None:
            if self.fit == "scale":
                return (self.width, self.height), None
            if self.fit == "crop":
                return (self.width, self.height), self._crop_box(size)
            factor = min(self.width / width, self.height / height)
        elif self.width is not None:
            factor = self.width / width
        elif self.height is not None:
            factor = self.height / height
        else:
            return size, None
        if self.fit == "max":
            factor = min(factor, 1.0)
        return (_scaled(width, factor), _scaled(height, factor)), None

    def _crop_box(self, size: Size) -> Box:
        """The part of an image of ``size`` that, scaled to cover the box, fills it exactly."""
        assert self.width is not None and self.height is not None
        width, height = size
        factor = max(self.width / width, self.height / height)
        kept_width = min(width, self.width / factor)
        kept_height = min(height, self.height / factor)
        left = (width - kept_width) * self.align.horizontal
        top = (height - kept_height) * self.align.vertical
        return (left, top, left + kept_width, top + kept_height)

    def _face_box(self, image: Image.Image, nominal: Size, box: Box) -> Box:
        """``box``'s size centred on the faces of ``image`` (all of them if they fit, else the largest)."""
        found = self.find_faces(image) if self.find_faces is not None else ()
        if not found:
            return box
        faces = [_scale_box(face, image.size, nominal) for face in found]
        kept = (box[2] - box[0], box[3] - box[1])
        around = union(faces)
        if around[2] - around[0] > kept[0] or around[3] - around[1] > kept[1]:
            around = max(faces, key=lambda face: (face[2] - face[0]) * (face[3] - face[1]))
        return _box_around(_centre(around), kept, nominal)


@dataclass(frozen=True)
class CropFaces(Step):
    """Filestack's ``crop_faces``: the part of the image around its faces.

    The face region is the selected faces (``faces``: 1-based positions counted
    left to right, or ``"all"``) grown by ``buffer`` percent of their size
    (half on each side). ``crop`` cuts it out unscaled -- or a ``width`` ×
    ``height`` window centred on it; ``thumb`` widens it to the aspect ratio of
    ``width`` × ``height`` and shrinks it to fit inside them (never enlarging);
    ``fill`` widens it the same way and scales it to exactly ``width`` ×
    ``height``. A missing dimension takes the other's value. With no face
    found (or no detector installed) the whole image stands for the region.
    """

    mode: FaceCropMode = "thumb"
    width: int | None = None
    height: int | None = None
    faces: tuple[int, ...] | Literal["all"] = (1,)
    buffer: int = 200
    #: Finds the faces (none: the whole image stands for the region).
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def output_size(self, size: Size) -> Size:
        """An upper bound: the exact size depends on where the faces are."""
        width, height = self._dimensions()
        if self.mode == "fill" and width is not None and height is not None:
            return (width, height)
        return (min(size[0], width or size[0]), min(size[1], height or size[1]))

    def _dimensions(self) -> tuple[int | None, int | None]:
        return (self.width or self.height, self.height or self.width)

    def apply(self, image: Image.Image) -> Image.Image:
        region = self._region(image)
        width, height = self._dimensions()
        if self.mode == "crop":
            if width is not None and height is not None:
                region = _box_around(_centre(region), (width, height), image.size)
            return image.crop(_whole_pixels(region))
        if width is None or height is None:
            return image.crop(_whole_pixels(region))
        region = _widen_to_aspect(region, width / height, image.size)
        cropped = image.crop(_whole_pixels(region))
        if self.mode == "thumb":
            factor = min(1.0, width / cropped.width, height / cropped.height)
            target = (_scaled(cropped.width, factor), _scaled(cropped.height, factor))
        else:
            target = (width, height)
        if target == cropped.size:
            return cropped
        return cropped.resize(target, Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)

    def _region(self, image: Image.Image) -> Box:
        """The selected faces grown by the buffer, within the image; the whole image without faces."""
        whole: Box = (0.0, 0.0, float(image.width), float(image.height))
        faces = list(self.find_faces(image)) if self.find_faces is not None else []
        if not faces:
            return whole
        chosen: list[FaceBox] = (
            faces
            if self.faces == "all"
            else [faces[index - 1] for index in self.faces if index <= len(faces)]
        )
        if not chosen:
            return whole
        left, top, right, bottom = union(chosen)
        grow_x = (right - left) * self.buffer / 200
        grow_y = (bottom - top) * self.buffer / 200
        return (
            max(0.0, left - grow_x),
            max(0.0, top - grow_y),
            min(float(image.width), right + grow_x),
            min(float(image.height), bottom + grow_y),
        )


@dataclass(frozen=True)
class Crop(Step):
    """Filestack's ``crop=dim:[x,y,w,h]``, clamped to the image."""

    x: int
    y: int
    width: int
    height: int

    def output_size(self, size: Size) -> Size:
        left, top, right, bottom = self._box(size)
        return (right - left, bottom - top)

    def apply(self, image: Image.Image) -> Image.Image:
        box = self._box(image.size)
        if box == (0, 0, *image.size):
            return image
        return image.crop(box)

    def _box(self, size: Size) -> tuple[int, int, int, int]:
        width, height = size
        if self.x >= width or self.y >= height:
            raise UnsupportedTask(
                f"crop: parameter 'dim' starts at ({self.x}, {self.y}), outside the {width}x{height} image"
            )
        return (self.x, self.y, min(width, self.x + self.width), min(height, self.y + self.height))


@dataclass(frozen=True)
class Rotate(Step):
    """Filestack's ``rotate``: clockwise by ``degrees``, expanding the canvas.

    Quarter turns are exact transpositions; other angles are resampled
    bicubically and the exposed corners are filled with ``background``.
    """

    degrees: int
    background: RGBA

    def is_scale_invariant(self) -> bool:
        return self.degrees % 90 == 0

    def output_size(self, size: Size) -> Size:
        """The rotated size; for angles other than quarter turns, an upper bound."""
        width, height = size
        if self.degrees % 180 == 0:
            return size
        if self.degrees % 90 == 0:
            return (height, width)
        radians = math.radians(self.degrees)
        cos, sin = abs(math.cos(radians)), abs(math.sin(radians))
        return (
            math.ceil(width * cos + height * sin) + 1,
            math.ceil(width * sin + height * cos) + 1,
        )

    def apply(self, image: Image.Image) -> Image.Image:
        quarter_turns = {
            0: None,
            90: Image.Transpose.ROTATE_270,
            180: Image.Transpose.ROTATE_180,
            270: Image.Transpose.ROTATE_90,
        }
        if self.degrees in quarter_turns:
            method = quarter_turns[self.degrees]
            return image if method is None else image.transpose(method)
        image = prepare_for_fill(image, self.background)
        # Pillow turns counter-clockwise; Filestack's degrees are clockwise.
        return image.rotate(
            -self.degrees,
            resample=Image.Resampling.BICUBIC,
            expand=True,
            fillcolor=fill_for(image, self.background),
        )


@dataclass(frozen=True)
class Mirror(Step):
    """``flip`` (top ↔ bottom) and ``flop`` (left ↔ right)."""

    method: Image.Transpose

    def is_scale_invariant(self) -> bool:
        return True

    def apply(self, image: Image.Image) -> Image.Image:
        return image.transpose(self.method)


FLIP = Mirror(Image.Transpose.FLIP_TOP_BOTTOM)
FLOP = Mirror(Image.Transpose.FLIP_LEFT_RIGHT)


@dataclass(frozen=True)
class Circle(Step):
    """Filestack's ``circle``: the centred square, outside its inscribed circle cleared.

    The cleared area is transparent, or ``background`` when given.
    """

    background: RGBA | None = None

    def output_size(self, size: Size) -> Size:
        side = min(size)
        return (side, side)

    def apply(self, image: Image.Image) -> Image.Image:
        width, height = image.size
        side = min(width, height)
        left, top = (width - side) // 2, (height - side) // 2
        square = image.crop((left, top, left + side, top + side))
        return apply_mask(square, _ellipse_mask((side, side)), self.background)


@dataclass(frozen=True)
class RoundedCorners(Step):
    """Filestack's ``rounded_corners``: corners of ``radius`` (or ``max``), softened by ``blur``."""

    radius: int | Literal["max"] = 10
    blur: float = 0.3
    background: RGBA | None = None

    def apply(self, image: Image.Image) -> Image.Image:
        width, height = image.size
        half = min(width, height) // 2
        radius = half if self.radius == "max" else min(self.radius, half)
        if radius < 1:
            return image if self.background is None else flatten(image, self.background)
        corner = _ellipse_mask((2 * radius, 2 * radius)).crop((0, 0, radius, radius))
        if self.blur > 0:
            corner = corner.filter(ImageFilter.GaussianBlur(self.blur))
        mask = Image.new("L", image.size, 255)
        mask.paste(corner, (0, 0))
        mask.paste(corner.transpose(Image.Transpose.FLIP_LEFT_RIGHT), (width - radius, 0))
        mask.paste(corner.transpose(Image.Transpose.FLIP_TOP_BOTTOM), (0, height - radius))
        mask.paste(corner.transpose(Image.Transpose.ROTATE_180), (width - radius, height - radius))
        return apply_mask(image, mask, self.background)


@dataclass(frozen=True)
class Border(Step):
    """Filestack's ``border``: a ``width``-pixel frame of ``color`` around the image.

    ``background``, when given, first fills any transparent area of the image.
    """

    width: int = 2
    color: RGBA = (0, 0, 0, 255)
    background: RGBA | None = None

    def output_size(self, size: Size) -> Size:
        return (size[0] + 2 * self.width, size[1] + 2 * self.width)

    def apply(self, image: Image.Image) -> Image.Image:
        if self.background is not None:
            image = flatten(image, self.background)
        if self.width == 0:
            return image
        image = prepare_for_fill(image, self.color)
        return ImageOps.expand(image, border=self.width, fill=fill_for(image, self.color))


@dataclass(frozen=True)
class Pixelate(Step):
    """Filestack's ``pixelate``: blocks of ``block`` × ``block`` pixels of their average colour."""

    block: int = 2

    def apply(self, image: Image.Image) -> Image.Image:
        small = image.reduce(self.block)
        blocks = small.resize((small.width * self.block, small.height * self.block), Image.Resampling.NEAREST)
        return blocks.crop((0, 0, image.width, image.height))


def _scaled(length: int, factor: float) -> int:
    """``length * factor`` rounded to a whole, non-zero number of pixels."""
    return max(1, round(length * factor))


def _scale_box(box: Box, nominal: Size, actual: Size) -> Box:
    """Map ``box`` from an image of ``nominal`` size onto the same image at ``actual`` size."""
    scale_x = actual[0] / nominal[0]
    scale_y = actual[1] / nominal[1]
    left, top, right, bottom = box
    return (left * scale_x, top * scale_y, right * scale_x, bottom * scale_y)


def _centre(box: Box) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _box_around(centre: tuple[float, float], kept: tuple[float, float], size: Size) -> Box:
    """A box of size ``kept`` centred on ``centre`` as far as the image of ``size`` allows."""
    width = min(float(size[0]), kept[0])
    height = min(float(size[1]), kept[1])
    left = min(max(0.0, centre[0] - width / 2), size[0] - width)
    top = min(max(0.0, centre[1] - height / 2), size[1] - height)
    return (left, top, left + width, top + height)


def _widen_to_aspect(box: Box, aspect: float, size: Size) -> Box:
    """``box`` grown in one direction to the ``aspect`` ratio (width / height), kept inside the image."""
    width, height = box[2] - box[0], box[3] - box[1]
    if width / height < aspect:
        width = height * aspect
    else:
        height = width / aspect
    if width > size[0]:
        width, height = float(size[0]), size[0] / aspect
    if height > size[1]:
        width, height = size[1] * aspect, float(size[1])
    return _box_around(_centre(box), (width, height), size)


def _whole_pixels(box: Box) -> tuple[int, int, int, int]:
    """``box`` rounded to pixel edges, at least one pixel each way."""
    left, top = round(box[0]), round(box[1])
    return (left, top, max(left + 1, round(box[2])), max(top + 1, round(box[3])))


def _ellipse_mask(size: Size) -> Image.Image:
    """An anti-aliased ``L`` mask of the ellipse inscribed in ``size`` (255 inside).

    Drawn supersampled then box-reduced, so edge pixels hold their coverage;
    the supersampling factor shrinks for large masks to bound memory.
    """
    factor = max(1, min(_MASK_SUPERSAMPLING, _MAX_MASK_SIDE // max(size)))
    large = Image.new("L", (size[0] * factor, size[1] * factor), 0)
    ImageDraw.Draw(large).ellipse((0, 0, large.width - 1, large.height - 1), fill=255)
    return large.reduce(factor) if factor > 1 else large
