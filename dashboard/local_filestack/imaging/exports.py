"""Last tasks that answer something other than an image: ``detect_faces=export:true`` (JSON
face boxes), ``imagesize`` (JSON width and height) and ``ascii`` (the picture as HTML text).

An :class:`Export` ends a chain: the steps before it run, then it turns the result into
bytes of its own type.
"""

from __future__ import annotations

import html
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from .encode import Rendered
from .faces import FaceFinder
from .params import RGBA
from .regions import FaceFilter

JSON_TYPE = "application/json"
ASCII_RAMP = "@%#*+=-:. "
"""Characters from darkest to lightest."""
CHARACTER_ASPECT = 0.5
"""A monospaced character cell is about twice as tall as it is wide."""


class Export(ABC):
    """The last task of a chain when the answer is not an image."""

    @abstractmethod
    def export(self, image: Image.Image) -> Rendered:
        """The answer for the image the chain produced."""


def json_answer(value: Any, image: Image.Image | None = None) -> Rendered:
    """``value`` as a JSON answer (the image's size kept for the record)."""
    data = json.dumps(value, separators=(",", ":")).encode()
    return Rendered(
        data=data,
        mimetype=JSON_TYPE,
        width=image.width if image else None,
        height=image.height if image else None,
    )


@dataclass(frozen=True)
class ImageSize(Export):
    """Filestack's ``imagesize``: ``{"width": W, "height": H}``."""

    def export(self, image: Image.Image) -> Rendered:
        return json_answer({"width": image.width, "height": image.height}, image)


@dataclass(frozen=True)
class FaceExport(Export):
    """``detect_faces=export:true``: the faces as ``[{"x", "y", "width", "height"}, ...]``, left to right."""

    face_filter: FaceFilter = field(default_factory=FaceFilter)
    find_faces: FaceFinder | None = field(default=None, compare=False)

    def export(self, image: Image.Image) -> Rendered:
        found = self.find_faces(image) if self.find_faces is not None else ()
        boxes = self.face_filter.select(found, image.size)
        faces = [
            {
                "x": round(box[0]),
                "y": round(box[1]),
                "width": round(box[2] - box[0]),
                "height": round(box[3] - box[1]),
            }
            for box in boxes
        ]
        return json_answer(faces, image)


@dataclass(frozen=True)
class Ascii(Export):
    """Filestack's ``ascii``: the picture as ``size`` characters per line in an HTML ``<pre>``.

    Light pixels become light characters (``reverse`` swaps them); ``colored`` paints each
    character in its pixel's colour instead of ``foreground``.
    """

    size: int = 100
    foreground: RGBA = (0, 0, 0, 255)
    background: RGBA = (255, 255, 255, 255)
    colored: bool = False
    reverse: bool = False

    def export(self, image: Image.Image) -> Rendered:
        import numpy as np

        columns = self.size
        rows = max(1, round(image.height / image.width * columns * CHARACTER_ASPECT))
        small = image.convert("RGB").resize((columns, rows), Image.Resampling.BOX)
        grey = np.asarray(small.convert("L"), dtype=np.int32)
        ramp = np.array(list(ASCII_RAMP[::-1] if self.reverse else ASCII_RAMP))
        characters = ramp[grey * (len(ramp) - 1) // 255]
        if self.colored:
            rgb = np.asarray(small, dtype=np.int64)
            codes = np.char.mod("%06x", (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2])
            cells = np.char.add(np.char.add(np.char.add('<span style="color:#', codes), '">'), characters)
            cells = np.char.add(cells, "</span>")
            lines = ["".join(row) for row in cells]
        else:
            lines = [html.escape("".join(row)) for row in characters]
        body = "\n".join(lines)
        page = (
            '<!doctype html><html><head><meta charset="utf-8"><title>ascii</title></head>'
            f'<body style="margin:0;background:{_css(self.background)}">'
            f'<pre style="font-family:monospace;font-size:8px;line-height:8px;color:{_css(self.foreground)}">\n'
            f"{body}\n</pre></body></html>"
        )
        return Rendered(data=page.encode(), mimetype="text/html", width=image.width, height=image.height)


def _css(color: RGBA) -> str:
    return f"rgba({color[0]},{color[1]},{color[2]},{color[3] / 255:.3g})"
