"""Framing a photo: the rectangle the person chose in the crop dialog, as Filestack tasks.

Pure: no I/O. The crop dialog sends a :class:`Framing` measured on the image it showed
(the uploaded file as the browser decoded it, i.e. after EXIF orientation, or a smaller
copy of it); :func:`framing_chain` turns it into the tasks that cut exactly that part out
of the uploaded file, in the file's own pixels:

``rotate=deg:exif`` (pixels upright, as the browser showed them), ``rotate=deg:R`` when the
person turned the photo (clockwise, like the dialog), then ``crop=dim:[x,y,w,h]``. The
slot's resize comes after these tasks, so what was framed is what is saved.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Literal

from PIL import Image, UnidentifiedImageError
from pydantic import BaseModel, Field, ValidationError

from dashboard.filestack import Transformation
from dashboard.models import Slot

Rotation = Literal[0, 90, 180, 270]


@dataclass(frozen=True)
class SlotOutput:
    """The size a slot's photo is saved at, and so the shape of its frame."""

    width: int
    height: int

    @property
    def aspect(self) -> float:
        """Width over height: 1 for the avatar, 3 for the cover."""
        return self.width / self.height


SLOT_OUTPUTS: dict[str, SlotOutput] = {
    Slot.AVATAR: SlotOutput(400, 400),
    Slot.COVER: SlotOutput(1500, 500),
}


class FramingRejected(ValueError):
    """The framing sent with a photo cannot be used; the message is shown to the person."""


class Framing(BaseModel):
    """The frame chosen in the crop dialog, in the pixels of the image the dialog showed.

    ``x``, ``y``, ``width``, ``height`` are measured on that image turned by ``rotation``
    (clockwise), whose upright size before turning is ``image_width`` × ``image_height``.
    """

    x: int = Field(ge=0)
    y: int = Field(ge=0)
    width: int = Field(ge=1)
    height: int = Field(ge=1)
    rotation: Rotation = 0
    image_width: int = Field(ge=1)
    image_height: int = Field(ge=1)

    @property
    def turned_size(self) -> tuple[int, int]:
        """The size of the shown image after the rotation."""
        if self.rotation in (90, 270):
            return self.image_height, self.image_width
        return self.image_width, self.image_height


def parse_framing(text: str) -> Framing | None:
    """The dialog's JSON, or ``None`` when the photo was not framed (empty text)."""
    if not text or not text.strip():
        return None
    try:
        return Framing.model_validate(json.loads(text))
    except (ValueError, ValidationError) as err:
        raise FramingRejected("The chosen frame could not be read; choose the photo again.") from err


def scaled_to(framing: Framing, width: int, height: int) -> Framing:
    """``framing`` measured on an upright image of ``width`` × ``height`` (the uploaded file).

    The dialog may have shown a smaller copy; the rectangle is scaled by the ratio of the
    two sizes and kept inside the turned image.
    """
    scale_x = width / framing.image_width
    scale_y = height / framing.image_height
    if framing.rotation in (90, 270):
        scale_x, scale_y = scale_y, scale_x
    turned_w, turned_h = (height, width) if framing.rotation in (90, 270) else (width, height)
    x = min(max(0, round(framing.x * scale_x)), turned_w - 1)
    y = min(max(0, round(framing.y * scale_y)), turned_h - 1)
    w = max(1, min(round(framing.width * scale_x), turned_w - x))
    h = max(1, min(round(framing.height * scale_y), turned_h - y))
    return Framing(
        x=x, y=y, width=w, height=h, rotation=framing.rotation, image_width=width, image_height=height
    )


def framing_chain(framing: Framing) -> Transformation:
    """The tasks that cut the framed part out of the upright file: EXIF, the turn, the crop."""
    chain = Transformation().rotate("exif")
    if framing.rotation:
        chain = chain.rotate(framing.rotation)
    return chain.crop(framing.x, framing.y, framing.width, framing.height)


#: Types browsers show in an ``<img>``; any other accepted type (HEIC/HEIF) is turned into a JPEG
#: before anything is previewed or processed.
BROWSER_TYPES = frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "image/avif"})


def needs_conversion(mimetype: str) -> bool:
    """True for a photo browsers cannot show (HEIC/HEIF): it is stored again as a JPEG."""
    return mimetype not in BROWSER_TYPES


def upright_chain(framing: Framing | None, mimetype: str) -> Transformation | None:
    """What is cut or converted before the photo is used: the frame's tasks, then ``output=format:jpg``
    for a type browsers cannot show; ``None`` when the upload is used as it is."""
    if framing is None and not needs_conversion(mimetype):
        return None
    chain = framing_chain(framing) if framing is not None else Transformation().rotate("exif")
    return chain.output(format="jpg", quality=92) if needs_conversion(mimetype) else chain


def is_whole_image(framing: Framing) -> bool:
    """True when the frame is the whole (unturned) image: nothing to cut."""
    width, height = framing.turned_size
    return (
        framing.rotation == 0
        and framing.x == 0
        and framing.y == 0
        and (framing.width, framing.height) == (width, height)
    )


def too_small(slot: str, width: int, height: int) -> str:
    """A warning when ``width`` × ``height`` pixels are fewer than the slot saves, else ``""``."""
    output = SLOT_OUTPUTS[Slot(slot)]
    if width >= output.width and height >= output.height:
        return ""
    return (
        f"This photo is {width}×{height} pixels; the {Slot(slot).value} is saved at "
        f"{output.width}×{output.height}, so it will look blurry. Choose a larger photo for a sharp result."
    )


def upright_size(data: bytes) -> tuple[int, int]:
    """An image's width and height after its EXIF orientation, read from its header."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            exif = image.getexif()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise FramingRejected("The photo could not be read to frame it.") from err
    # Orientations 5–8 turn the image a quarter: width and height swap.
    if exif.get(0x0112, 1) in (5, 6, 7, 8):
        return height, width
    return width, height
