"""Steps that work on parts of the image: faces (found by the face finder the pipeline is
given) or rectangles named in the URL.

* ``detect_faces``  -- outlines drawn around the faces (``export:true`` answers JSON instead,
  see :mod:`.exports`);
* ``pixelate_faces`` / ``blur_faces`` -- the faces pixelated or blurred;
* ``partial_pixelate`` / ``partial_blur`` -- the ``objects`` rectangles pixelated or blurred;
* ``smart_crop`` -- a ``width`` × ``height`` crop around the faces (``mode:face``) or around
  what draws the eye (``mode:auto``: libvips' attention measure, by edges, saturation and skin
  tones).

Region masks are drawn with Pillow (rectangles or ellipses) and the treated copy is composed
through them. For the pixelating tasks ``blur`` softens the pixelated blocks (a Gaussian blur
of that radius over them); for the blurring tasks it feathers the region's edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter

from .faces import FaceBox, FaceFinder
from .params import RGBA
from .steps import REDUCING_GAP, Pixelate, Size, Step, _box_around, _centre, _whole_pixels

Shape = Literal["rect", "oval"]
FaceChoice = tuple[int, ...] | Literal["all"]


@dataclass(frozen=True)
class FaceFilter:
    """Which of the found faces a step works on.

    ``faces`` is ``all`` or 1-based positions counted left to right. ``minsize`` and ``maxsize``
    weed out boxes that are unlikely to be faces: a value of 1 or more is a side length in
    pixels, a value below 1 a fraction of the largest face's side (the default 0.35 drops boxes
    under a third of the main face's size).
    """

    faces: FaceChoice = "all"
    minsize: float = 0.35
    maxsize: float | None = None
    buffer: int = 0
    """Percent of the face's size added around it (half on each side)."""

    def select(self, boxes: Sequence[FaceBox], size: Size) -> list[FaceBox]:
        """The chosen faces, grown by the buffer and kept inside an image of ``size``."""
        if not boxes:
            return []
        largest = max(min(box[2] - box[0], box[3] - box[1]) for box in boxes)

        def bound(value: float) -> float:
            return value if value >= 1 else value * largest

        kept = [
            box
            for box in boxes
            if min(box[2] - box[0], box[3] - box[1]) >= bound(self.minsize)
            and (self.maxsize is None or max(box[2] - box[0], box[3] - box[1]) <= bound(self.maxsize))
        ]
        if self.faces != "all":
            kept = [kept[index - 1] for index in self.faces if index <= len(kept)]
        return [_grown(box, self.buffer, size) for box in kept]


def _grown(box: FaceBox, buffer: int, size: Size) -> FaceBox:
    grow_x = (box[2] - box[0]) * buffer / 200
    grow_y = (box[3] - box[1]) * buffer / 200
    return (
        max(0.0, box[0] - grow_x),
        max(0.0, box[1] - grow_y),
        min(float(size[0]), box[2] + grow_x),
        min(float(size[1]), box[3] + grow_y),
    )


def _region_mask(size: Size, boxes: Sequence[FaceBox], shape: Shape, feather: float) -> Image.Image:
    """An ``L`` mask, 255 inside the boxes (rectangles or ellipses), feathered by ``feather`` pixels."""
    mask = Image.new("L", size, 0)
    draw = ImageDraw.Draw(mask)
    for box in boxes:
        corners = _whole_pixels(box)
        if shape == "oval":
            draw.ellipse(corners, fill=255)
        else:
            draw.rectangle((corners[0], corners[1], corners[2] - 1, corners[3] - 1), fill=255)
    return mask.filter(ImageFilter.GaussianBlur(feather)) if feather > 0 else mask


@dataclass(frozen=True)
class RegionTreatment(Step):
    """Pixelate (``pixelate`` blocks of that many pixels, then softened by ``blur``) or blur
    (Gaussian ``blur_radius``, edges feathered by ``blur``) regions.

    The regions are the ``objects`` rectangles, or the faces ``face_filter`` keeps when
    ``objects`` is None (then ``find_faces`` finds them; without a finder nothing changes).
    """

    objects: tuple[FaceBox, ...] | None = None
    face_filter: FaceFilter = FaceFilter()
    pixelate: int | None = None
    blur_radius: float = 0.0
    blur: float = 4.0
    shape: Shape = "rect"
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def regions(self, image: Image.Image) -> list[FaceBox]:
        if self.objects is not None:
            return [
                (box[0], box[1], min(float(image.width), box[2]), min(float(image.height), box[3]))
                for box in self.objects
                if box[0] < image.width and box[1] < image.height
            ]
        found = self.find_faces(image) if self.find_faces is not None else ()
        return self.face_filter.select(found, image.size)

    def apply(self, image: Image.Image) -> Image.Image:
        boxes = self.regions(image)
        if not boxes:
            return image
        if self.pixelate is not None:
            treated = Pixelate(block=self.pixelate).apply(image)
            if self.blur > 0:
                treated = treated.filter(ImageFilter.GaussianBlur(self.blur))
            mask = _region_mask(image.size, boxes, self.shape, 0)
        else:
            treated = image.filter(ImageFilter.GaussianBlur(self.blur_radius))
            mask = _region_mask(image.size, boxes, self.shape, self.blur)
        return Image.composite(treated, image, mask)


@dataclass(frozen=True)
class DrawFaces(Step):
    """``detect_faces`` drawn: an outline of ``color`` around every face kept."""

    color: RGBA = (0, 0, 0, 255)
    face_filter: FaceFilter = FaceFilter()
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def apply(self, image: Image.Image) -> Image.Image:
        found = self.find_faces(image) if self.find_faces is not None else ()
        boxes = self.face_filter.select(found, image.size)
        if not boxes:
            return image
        out = image.copy()
        draw = ImageDraw.Draw(out)
        line = max(2, round(min(image.size) / 200))
        fill = self.color if out.mode == "RGBA" else self.color[:3]
        for box in boxes:
            left, top, right, bottom = _whole_pixels(box)
            draw.rectangle((left, top, right - 1, bottom - 1), outline=fill, width=line)
        return out


@dataclass(frozen=True)
class SmartCrop(Step):
    """Filestack's ``smart_crop``: the largest ``width``:``height`` window around the faces
    (``face``) or the most eye-catching part (``auto``), scaled to ``width`` × ``height``.

    ``face`` falls back to ``auto`` when no face is found.
    """

    width: int
    height: int
    mode: Literal["face", "auto"] = "auto"
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def output_size(self, size: Size) -> Size:
        return (self.width, self.height)

    def apply(self, image: Image.Image) -> Image.Image:
        aspect = self.width / self.height
        kept = (
            min(float(image.width), image.height * aspect),
            min(float(image.height), image.width / aspect),
        )
        centre = self._focus(image, kept)
        box = _whole_pixels(_box_around(centre, kept, image.size))
        cropped = image.crop(box)
        if cropped.size == (self.width, self.height):
            return cropped
        return cropped.resize((self.width, self.height), Image.Resampling.LANCZOS, reducing_gap=REDUCING_GAP)

    def _focus(self, image: Image.Image, kept: tuple[float, float]) -> tuple[float, float]:
        if self.mode == "face" and self.find_faces is not None:
            faces = list(self.find_faces(image))
            if faces:
                largest = max(faces, key=lambda box: (box[2] - box[0]) * (box[3] - box[1]))
                return _centre(largest)
        return _attention(image, kept)


def _attention(image: Image.Image, kept: tuple[float, float]) -> tuple[float, float]:
    """The centre of the crop libvips' ``smartcrop`` (``interesting=attention``) would keep."""
    import numpy as np
    import pyvips

    rgb = np.ascontiguousarray(np.asarray(image.convert("RGB")))
    vips = pyvips.Image.new_from_array(rgb, interpretation="srgb")
    width, height = max(1, round(kept[0])), max(1, round(kept[1]))
    _crop, found = vips.smartcrop(width, height, interesting="attention", attention_x=True, attention_y=True)
    return float(found["attention_x"]), float(found["attention_y"])
