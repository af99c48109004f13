"""Filestack image tasks: which names exist, their parameters, and what each becomes.

Each task turns into either a pixel :class:`~.steps.Step` or a partial
:class:`~.encode.EncodeSettings`; nothing here touches pixels, so checking a
whole chain is cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Literal

from dashboard.filestack_protocol.grammar import Task, Value

from .compositing import BLACK, WHITE
from .encode import OUTPUT_FORMATS, EncodeSettings, OutputFormat
from .errors import UnsupportedTask
from .faces import FaceFinder
from .filters import (
    AutoContrast,
    BlackWhite,
    Blur,
    Modulate,
    Monochrome,
    Negative,
    Sepia,
    Sharpen,
)
from .params import Params
from .steps import (
    FLIP,
    FLOP,
    Align,
    Border,
    Circle,
    Crop,
    CropFaces,
    FaceCropMode,
    Fit,
    Pixelate,
    Resize,
    Rotate,
    RoundedCorners,
    Step,
)

Instruction = Step | EncodeSettings
Builder = Callable[[Params], Instruction]

NON_IMAGE_TASKS = frozenset(
    {"security", "cache", "store", "run_workflow", "workflow_status", "metadata"}
)
"""Tasks the file service handles itself rather than the image pipeline."""

_IGNORED_TASKS = frozenset({"security", "cache"})
"""Service-level tasks that may appear in an image chain and do not affect pixels."""

_MAX_SIDE = 10_000
_MAX_CROP_COORDINATE = 1_000_000
_FITS: tuple[Fit, ...] = ("clip", "crop", "scale", "max")
_ENHANCE_PRESETS = (
    "auto",
    "vivid",
    "beautify",
    "beautify_plus",
    "fix_dark",
    "fix_noise",
    "fix_tint",
    "outdoor",
    "fireworks",
)
_VERTICAL = {"top": 0.0, "bottom": 1.0}
_HORIZONTAL = {"left": 0.0, "right": 1.0}
_CENTRED = frozenset({"center", "middle"})
_FACE_CROP_MODES: tuple[FaceCropMode, ...] = ("crop", "thumb", "fill")
_MAX_FACE_BUFFER = 1000

_BUILDERS: dict[str, tuple[tuple[str, ...], Builder]] = {}


def _task(name: str, *params: str) -> Callable[[Builder], Builder]:
    """Register ``builder`` as the meaning of task ``name``, accepting parameters ``params``."""

    def register(builder: Builder) -> Builder:
        _BUILDERS[name] = (params, builder)
        return builder

    return register


def build(task: Task) -> Instruction | None:
    """The step or encoder settings ``task`` asks for; None for ignored service tasks.

    Raises :class:`UnsupportedTask` for an unknown name, a service-only task or
    a bad parameter.
    """
    if task.name in _IGNORED_TASKS:
        return None
    if task.name in NON_IMAGE_TASKS:
        raise UnsupportedTask(
            f"task '{task.name}' is handled by the file service, not by image processing"
        )
    registered = _BUILDERS.get(task.name)
    if registered is None:
        raise UnsupportedTask(f"unknown task '{task.name}'")
    allowed, builder = registered
    return builder(Params(task, allowed))


def plan(tasks: Sequence[Task], find_faces: FaceFinder | None = None) -> tuple[list[Step], EncodeSettings]:
    """Split a chain into its pixel steps, in order, and the resulting encoder settings.

    Face-aware steps get ``find_faces`` to look for faces with.
    """
    steps: list[Step] = []
    settings = EncodeSettings()
    for task in tasks:
        instruction = build(task)
        if isinstance(instruction, EncodeSettings):
            settings = settings.updated(instruction)
        elif isinstance(instruction, (Resize, CropFaces)):
            steps.append(replace(instruction, find_faces=find_faces))
        elif instruction is not None:
            steps.append(instruction)
    return steps, settings


def validate_tasks(tasks: Sequence[Task]) -> None:
    """Check every task name and parameter without touching pixels.

    Service tasks (:data:`NON_IMAGE_TASKS`) pass unchecked: their parameters are
    the service's to judge. Raises :class:`UnsupportedTask` on the first problem.
    """
    for task in tasks:
        if task.name not in NON_IMAGE_TASKS:
            build(task)


# Geometry ------------------------------------------------------------------


@_task("resize", "width", "height", "fit", "align")
def _resize(params: Params) -> Resize:
    width = params.optional_integer("width", 1, _MAX_SIDE)
    height = params.optional_integer("height", 1, _MAX_SIDE)
    if width is None and height is None:
        raise params.error("width", "or 'height' is required")
    fit = params.choice("fit", _FITS, "clip")
    return Resize(width=width, height=height, fit=fit, align=_align(params))


def _align(params: Params) -> Align:
    """``align``: one of top, middle, bottom, left, center, right, faces, or a pair of them."""
    value = params.value("align")
    if value is None:
        return Align()
    words = value if isinstance(value, list) else [value]
    problem = (
        "must be top, middle, bottom, left, center, right, faces "
        f"or a pair like [top,left] (got {value!r})"
    )
    if not 1 <= len(words) <= 2 or not all(isinstance(word, str) for word in words):
        raise params.error("align", problem)
    horizontal: float | None = None
    vertical: float | None = None
    faces = False
    for word in (str(word).lower() for word in words):
        if word == "faces" and not faces:
            faces = True
        elif word in _VERTICAL and vertical is None:
            vertical = _VERTICAL[word]
        elif word in _HORIZONTAL and horizontal is None:
            horizontal = _HORIZONTAL[word]
        elif word not in _CENTRED:
            raise params.error("align", problem)
    return Align(
        horizontal=0.5 if horizontal is None else horizontal,
        vertical=0.5 if vertical is None else vertical,
        faces=faces,
    )


@_task("crop_faces", "mode", "width", "height", "faces", "buffer")
def _crop_faces(params: Params) -> CropFaces:
    """``crop_faces=mode:thumb,width:200,height:200,faces:1,buffer:200``."""
    return CropFaces(
        mode=params.choice("mode", _FACE_CROP_MODES, "thumb"),
        width=params.optional_integer("width", 1, _MAX_SIDE),
        height=params.optional_integer("height", 1, _MAX_SIDE),
        faces=_face_selection(params),
        buffer=params.integer("buffer", 0, _MAX_FACE_BUFFER, 200),
    )


def _face_selection(params: Params) -> tuple[int, ...] | Literal["all"]:
    """``faces``: ``all``, a 1-based position, or a list of them; 1 when absent."""
    value = params.value("faces")
    if value is None:
        return (1,)
    if isinstance(value, str) and value.lower() == "all":
        return "all"
    numbers = _integers(value if isinstance(value, list) else [value])
    if not numbers or min(numbers) < 1 or max(numbers) > 1000:
        raise params.error("faces", f"must be all, a face number from 1 or a list like [1,2] (got {value!r})")
    return tuple(numbers)


@_task("crop", "dim")
def _crop(params: Params) -> Crop:
    value = params.value("dim")
    numbers = _integers(value) if isinstance(value, list) and len(value) == 4 else None
    if (
        numbers is None
        or min(numbers) < 0
        or max(numbers) > _MAX_CROP_COORDINATE
        or numbers[2] < 1
        or numbers[3] < 1
    ):
        raise params.error(
            "dim", f"must be [x,y,width,height] with x, y ≥ 0 and width, height ≥ 1 (got {value!r})"
        )
    x, y, width, height = numbers
    return Crop(x=x, y=y, width=width, height=height)


def _integers(values: list[Value]) -> list[int] | None:
    """``values`` as ints when every one is an int (not a bool), else None."""
    integers = [item for item in values if isinstance(item, int) and not isinstance(item, bool)]
    return integers if len(integers) == len(values) else None


@_task("rotate", "deg", "exif", "background")
def _rotate(params: Params) -> Rotate:
    """``deg:exif`` and ``exif`` are accepted as no-ops: EXIF orientation is always applied."""
    degrees = params.integer_or_keyword("deg", "exif", 0, 359, 0)
    params.flag("exif")
    background = params.color("background", WHITE)
    return Rotate(degrees=0 if degrees == "exif" else degrees, background=background)


@_task("flip")
def _flip(params: Params) -> Step:
    return FLIP


@_task("flop")
def _flop(params: Params) -> Step:
    return FLOP


@_task("circle", "background")
def _circle(params: Params) -> Circle:
    return Circle(background=params.optional_color("background"))


@_task("rounded_corners", "radius", "blur", "background")
def _rounded_corners(params: Params) -> RoundedCorners:
    return RoundedCorners(
        radius=params.integer_or_keyword("radius", "max", 1, _MAX_SIDE, 10),
        blur=params.number("blur", 0, 20, 0.3),
        background=params.optional_color("background"),
    )


@_task("border", "width", "color", "background")
def _border(params: Params) -> Border:
    return Border(
        width=params.integer("width", 0, 1000, 2),
        color=params.color("color", BLACK),
        background=params.optional_color("background"),
    )


@_task("pixelate", "amount")
def _pixelate(params: Params) -> Pixelate:
    return Pixelate(block=params.integer("amount", 2, 100, 2))


# Filters -------------------------------------------------------------------


@_task("blur", "amount")
def _blur(params: Params) -> Blur:
    return Blur(amount=params.number("amount", 0, 20, 2))


@_task("sharpen", "amount")
def _sharpen(params: Params) -> Sharpen:
    return Sharpen(amount=params.number("amount", 0, 20, 2))


@_task("monochrome")
def _monochrome(params: Params) -> Monochrome:
    return Monochrome()


@_task("blackwhite", "threshold")
def _blackwhite(params: Params) -> BlackWhite:
    return BlackWhite(threshold=params.integer("threshold", 0, 100, 50))


@_task("sepia", "tone")
def _sepia(params: Params) -> Sepia:
    return Sepia(tone=params.integer("tone", 0, 100, 80))


@_task("negative")
def _negative(params: Params) -> Negative:
    return Negative()


@_task("modulate", "brightness", "saturation", "hue")
def _modulate(params: Params) -> Modulate:
    return Modulate(
        brightness=params.integer("brightness", 0, 10_000, 100),
        saturation=params.integer("saturation", 0, 10_000, 100),
        hue=params.integer("hue", 0, 359, 0),
    )


@_task("enhance", "preset")
@_task("auto_image")
@_task("redeye")
def _auto_contrast(params: Params) -> AutoContrast:
    params.choice("preset", _ENHANCE_PRESETS, "auto")
    return AutoContrast()


# Encoding ------------------------------------------------------------------


@_task("output", "format", "quality", "background", "strip", "compress")
def _output(params: Params) -> EncodeSettings:
    return EncodeSettings(
        format=_output_format(params),
        quality=params.optional_integer_or_keyword("quality", "input", 1, 100),
        background=params.optional_color("background"),
        strip=params.optional_flag("strip"),
        compress=params.optional_flag("compress"),
    )


def _output_format(params: Params) -> OutputFormat | None:
    value = params.value("format")
    if value is None:
        return None
    for output_format in OUTPUT_FORMATS:
        if isinstance(value, str) and value.lower() == output_format:
            return output_format
    raise UnsupportedTask(f"output format '{value}' is not supported for images")


@_task("quality", "value")
def _quality(params: Params) -> EncodeSettings:
    quality = params.optional_integer("value", 1, 100)
    if quality is None:
        raise params.error("value", "is required")
    return EncodeSettings(quality=quality)


@_task("compress", "metadata")
def _compress(params: Params) -> EncodeSettings:
    return EncodeSettings(compress=True, keep_metadata=params.flag("metadata"))


@_task("no_metadata")
def _no_metadata(params: Params) -> EncodeSettings:
    return EncodeSettings(strip=True)


IMAGE_TASKS: frozenset[str] = frozenset(_BUILDERS)
"""Every task name :func:`plan` turns into a step or encoder settings."""
