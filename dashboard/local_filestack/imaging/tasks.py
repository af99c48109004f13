"""Filestack image tasks: which names exist, their parameters, and what each becomes.

Each task turns into a pixel :class:`~.steps.Step`, a partial
:class:`~.encode.EncodeSettings`, or -- as the chain's last task -- an
:class:`~.exports.Export` (JSON or text instead of an image) or a
:class:`~.documents.DocumentExport`; nothing here touches pixels, so checking a
whole chain is cheap. The builders below are the one table of tasks: a new task
is one ``@_task`` function. Tasks that would need a hosted model or a media
pipeline are listed in :data:`REFUSED_TASKS` and refused by name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields, replace
from typing import Literal, cast

from dashboard.filestack_protocol.grammar import Task, Value

from .compositing import BLACK, WHITE
from .documents import DocumentExport
from .effects import OilPaint, Polaroid, Shadow, TornEdges, Vignette
from .encode import DOCUMENT_FORMATS, OUTPUT_FORMATS, EncodeSettings, OutputFormat
from .errors import UnsupportedTask
from .exports import Ascii, Export, FaceExport, ImageSize
from .faces import FaceFinder
from .filters import (
    BlackWhite,
    Blur,
    Modulate,
    Monochrome,
    Negative,
    Sepia,
    Sharpen,
)
from .limits import Limits
from .overlay import Collage, Watermark
from .params import Params
from .regions import DrawFaces, FaceFilter, RegionTreatment, SmartCrop
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

Instruction = Step | EncodeSettings | Export | DocumentExport
Builder = Callable[[Params], Instruction]

NON_IMAGE_TASKS = frozenset(
    {
        "security",
        "cache",
        "store",
        "run_workflow",
        "workflow_status",
        "metadata",
        "fallback",
        "tags",
        "sfw",
        "ocr",
        "copyright",
        "zip",
        "animate",
        "urlscreenshot",
    }
)
"""Tasks the file service handles itself rather than the image pipeline."""

REFUSAL = "is not available in the embedded service"
"""What every refusal of a Filestack task says after naming it."""

REFUSED_TASKS: dict[str, str] = {
    "enhance": "its presets are a hosted enhancement model",
    "redeye": "it needs an eye detector this service does not ship",
    "upscale": "it needs a hosted super-resolution model",
    "video_convert": "it needs a video pipeline",
    "video_playlist": "it needs a video pipeline",
    "pdfconvert": "it needs a PDF editing pipeline",
    "pdfcreate": "it needs a PDF editing pipeline",
    "minify_css": "it needs a CSS minifier",
    "minify_js": "it needs a JavaScript minifier",
    "caption": "it needs a hosted captioning model",
    "image_sentiment": "it needs a hosted sentiment model",
    "text_sentiment": "it needs a hosted sentiment model",
    "doc_detection": "it needs a hosted document detection model",
    "qr": "it needs a QR code service",
    "slide": "it needs a document viewer",
    "debug": "it reports Filestack's own processing details",
}
"""Filestack tasks this service does not run, each with the reason."""

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
        raise UnsupportedTask(f"task '{task.name}' is handled by the file service, not by image processing")
    if task.name in REFUSED_TASKS:
        raise UnsupportedTask(f"task '{task.name}' {REFUSAL}: {REFUSED_TASKS[task.name]}")
    registered = _BUILDERS.get(task.name)
    if registered is None:
        raise UnsupportedTask(f"unknown task '{task.name}'")
    allowed, builder = registered
    return builder(Params(task, allowed))


Plan = tuple[list[Step], EncodeSettings, Export | DocumentExport | None]


def plan(
    tasks: Sequence[Task],
    find_faces: FaceFinder | None = None,
    assets: Mapping[str, bytes] | None = None,
    limits: Limits | None = None,
) -> Plan:
    """Split a chain into its pixel steps, in order, the resulting encoder settings and the
    export that ends it (if any).

    Steps that look for faces get ``find_faces``; steps that read other files get ``assets``
    (handle -> bytes) and the ``limits`` to decode them with.
    """
    steps: list[Step] = []
    settings = EncodeSettings()
    export: Export | DocumentExport | None = None
    for position, task in enumerate(tasks):
        instruction = build(task)
        if isinstance(instruction, EncodeSettings):
            settings = settings.updated(instruction)
            if instruction.docinfo:
                export = DocumentExport("docinfo")
        elif isinstance(instruction, (Export, DocumentExport)):
            if position != len(tasks) - 1:
                raise UnsupportedTask(f"{task.name} must be the last task before the source")
            export = cast(Export | DocumentExport, _inject(instruction, find_faces, assets, limits))
        elif instruction is not None:
            steps.append(cast(Step, _inject(instruction, find_faces, assets, limits)))
    return steps, settings, export


def _inject(
    instruction: Instruction,
    find_faces: FaceFinder | None,
    assets: Mapping[str, bytes] | None,
    limits: Limits | None,
) -> Instruction:
    """``instruction`` with the face finder, the assets and the limits it has fields for."""
    if isinstance(instruction, EncodeSettings):
        return instruction
    names = {item.name for item in fields(instruction)}  # type: ignore[arg-type]
    given = {"find_faces": find_faces, "assets": dict(assets or {}), "limits": limits}
    changes = {name: value for name, value in given.items() if name in names and value is not None}
    return replace(instruction, **changes) if changes else instruction  # type: ignore[type-var]


def referenced_files(tasks: Sequence[Task]) -> list[str]:
    """The stored files a chain reads besides its source (``watermark``'s file, ``collage``'s
    files), in order, each once."""
    found: list[str] = []
    for task in tasks:
        if task.name == "watermark":
            values: list[Value] = [task.params.get("file", "")]
        elif task.name == "collage":
            files = task.params.get("files", [])
            values = files if isinstance(files, list) else [files]
        else:
            continue
        for value in values:
            if isinstance(value, str) and value and value not in found:
                found.append(value)
    return found


def validate_tasks(tasks: Sequence[Task]) -> None:
    """Check every task name and parameter without touching pixels.

    Service tasks (:data:`NON_IMAGE_TASKS`) pass unchecked: their parameters are
    the service's to judge. Raises :class:`UnsupportedTask` on the first problem.
    """
    plan([task for task in tasks if task.name not in NON_IMAGE_TASKS])


# Geometry ------------------------------------------------------------------


@_task("resize", "width", "height", "fit", "align")
def _resize(params: Params) -> Resize:
    width = params.optional_integer("width", 1, _MAX_SIDE)
    height = params.optional_integer("height", 1, _MAX_SIDE)
    if width is None and height is None:
        raise params.error("width", "or 'height' is required")
    fit = params.choice("fit", _FITS, "clip")
    return Resize(width=width, height=height, fit=fit, align=align_param(params))


def align_param(params: Params, name: str = "align") -> Align:
    """``align`` (or ``position``): top, middle, bottom, left, center, right, faces, or a pair of them."""
    value = params.value(name)
    if value is None:
        return Align()
    words = value if isinstance(value, list) else [value]
    problem = (
        f"must be top, middle, bottom, left, center, right, faces or a pair like [top,left] (got {value!r})"
    )
    if not 1 <= len(words) <= 2 or not all(isinstance(word, str) for word in words):
        raise params.error(name, problem)
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
            raise params.error(name, problem)
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
    return Rotate(degrees=0 if isinstance(degrees, str) else degrees, background=background)


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
        radius=cast(Literal["max"] | int, params.integer_or_keyword("radius", "max", 1, _MAX_SIDE, 10)),
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


# Encoding ------------------------------------------------------------------


@_task(
    "output",
    "format",
    "quality",
    "background",
    "strip",
    "compress",
    "colorspace",
    "page",
    "density",
    "docinfo",
)
def _output(params: Params) -> EncodeSettings:
    return EncodeSettings(
        format=_output_format(params),
        quality=cast(
            Literal["input"] | int | None, params.optional_integer_or_keyword("quality", "input", 1, 100)
        ),
        background=params.optional_color("background"),
        strip=params.optional_flag("strip"),
        compress=params.optional_flag("compress"),
        colorspace=params.choice("colorspace", ("rgb", "cmyk", "input"), "rgb")
        if params.has("colorspace")
        else None,
        page=params.optional_integer("page", 1, 99_999),
        density=params.optional_integer("density", 1, 500),
        docinfo=params.optional_flag("docinfo"),
    )


_FORMAT_ALIASES: dict[str, OutputFormat] = {"jpeg": "jpg", "tif": "tiff", "heic": "heif"}


def _output_format(params: Params) -> OutputFormat | None:
    value = params.value("format")
    if value is None:
        return None
    text = str(value).lower()
    text = _FORMAT_ALIASES.get(text, text)
    for output_format in OUTPUT_FORMATS:
        if text == output_format:
            return output_format
    if text in DOCUMENT_FORMATS:
        raise UnsupportedTask(f"output format '{value}' {REFUSAL}: document conversion needs an office suite")
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


@_task("auto_image")
def _auto_image(params: Params) -> EncodeSettings:
    """``auto_image`` is format negotiation: the CDN turns it into ``output=format:webp`` for a
    browser that accepts WebP; anywhere else (a workflow's chain) the format is kept."""
    return EncodeSettings()


@_task("pjpg", "quality", "metadata")
def _pjpg(params: Params) -> EncodeSettings:
    """``pjpg=quality:Q,metadata:B``: a progressive JPEG."""
    return EncodeSettings(
        format="pjpg",
        quality=params.optional_integer("quality", 1, 100),
        keep_metadata=params.optional_flag("metadata"),
    )


# Faces and regions ----------------------------------------------------------


FACE_COVER_BUFFER = 50
"""The default ``buffer`` (percent of the face) of the tasks that hide faces: a detected face box
runs from the brows to the chin, and hiding a face means the forehead and the hairline too."""


def _face_filter(params: Params, faces_default: Literal["all"] | int = "all", buffer: int = 0) -> FaceFilter:
    """``faces``, ``minsize``, ``maxsize`` and ``buffer`` of the face tasks."""
    faces: tuple[int, ...] | Literal["all"]
    if params.has("faces"):
        faces = _face_selection(params)
    else:
        faces = "all" if faces_default == "all" else (faces_default,)
    return FaceFilter(
        faces=faces,
        minsize=params.number("minsize", 0, 10_000, 0.35),
        maxsize=params.number("maxsize", 0, 10_000, 0) or None,
        buffer=params.integer("buffer", 0, 10_000, buffer),
    )


@_task("detect_faces", "minsize", "maxsize", "color", "export")
def _detect_faces(params: Params) -> DrawFaces | FaceExport:
    """``detect_faces``: outlines around the faces, or (``export:true``) their boxes as JSON."""
    face_filter = _face_filter(params)
    if params.flag("export"):
        params.optional_color("color")
        return FaceExport(face_filter=face_filter)
    return DrawFaces(color=params.color("color", BLACK), face_filter=face_filter)


def _objects(params: Params) -> tuple[tuple[float, float, float, float], ...]:
    value = params.value("objects")
    boxes = value if isinstance(value, list) and value and isinstance(value[0], list) else [value]
    found: list[tuple[float, float, float, float]] = []
    for box in boxes:
        numbers = _integers(box) if isinstance(box, list) and len(box) == 4 else None
        if numbers is None or min(numbers) < 0 or numbers[2] < 1 or numbers[3] < 1:
            raise params.error("objects", f"must be [[x,y,width,height],...] (got {value!r})")
        x, y, width, height = numbers
        found.append((float(x), float(y), float(x + width), float(y + height)))
    return tuple(found)


def _shape(params: Params) -> Literal["rect", "oval"]:
    return params.choice("type", ("rect", "oval"), "rect")


@_task("pixelate_faces", "faces", "minsize", "maxsize", "buffer", "amount", "blur", "type")
def _pixelate_faces(params: Params) -> RegionTreatment:
    return RegionTreatment(
        face_filter=_face_filter(params, buffer=FACE_COVER_BUFFER),
        pixelate=params.integer("amount", 2, 100, 10),
        blur=params.number("blur", 0, 20, 4),
        shape=_shape(params),
    )


@_task("blur_faces", "faces", "minsize", "maxsize", "buffer", "amount", "blur", "type")
def _blur_faces(params: Params) -> RegionTreatment:
    return RegionTreatment(
        face_filter=_face_filter(params, buffer=FACE_COVER_BUFFER),
        blur_radius=2 * params.number("amount", 0, 20, 10),
        blur=params.number("blur", 0, 20, 4),
        shape=_shape(params),
    )


@_task("partial_pixelate", "objects", "amount", "blur", "type")
def _partial_pixelate(params: Params) -> RegionTreatment:
    if not params.has("objects"):
        raise params.error("objects", "is required")
    return RegionTreatment(
        objects=_objects(params),
        pixelate=params.integer("amount", 2, 100, 10),
        blur=params.number("blur", 0, 20, 4),
        shape=_shape(params),
    )


@_task("partial_blur", "objects", "amount", "blur", "type")
def _partial_blur(params: Params) -> RegionTreatment:
    if not params.has("objects"):
        raise params.error("objects", "is required")
    return RegionTreatment(
        objects=_objects(params),
        blur_radius=params.number("amount", 0, 20, 10),
        blur=params.number("blur", 0, 20, 4),
        shape=_shape(params),
    )


@_task("smart_crop", "mode", "width", "height")
def _smart_crop(params: Params) -> SmartCrop:
    width = params.optional_integer("width", 1, _MAX_SIDE)
    height = params.optional_integer("height", 1, _MAX_SIDE)
    if width is None or height is None:
        raise params.error("width" if width is None else "height", "is required")
    return SmartCrop(width=width, height=height, mode=params.choice("mode", ("face", "auto"), "auto"))


# Composition -------------------------------------------------------------------


@_task("watermark", "file", "size", "position")
def _watermark(params: Params) -> Watermark:
    file = params.value("file")
    if not isinstance(file, str) or not file:
        raise params.error("file", "is required: the handle of the image to lay over")
    return Watermark(
        file=file, size=params.number("size", 1, 500, 100), position=align_param(params, "position")
    )


@_task("collage", "files", "width", "height", "margin", "color", "fit", "autorotate")
def _collage(params: Params) -> Collage:
    files = params.value("files")
    handles = files if isinstance(files, list) else [files] if files else []
    if not handles or not all(isinstance(handle, str) for handle in handles):
        raise params.error("files", "is required: a list of handles like [h1,h2]")
    width = params.optional_integer("width", 1, _MAX_SIDE)
    height = params.optional_integer("height", 1, _MAX_SIDE)
    if width is None or height is None:
        raise params.error("width" if width is None else "height", "is required")
    return Collage(
        files=tuple(str(handle) for handle in handles),
        width=width,
        height=height,
        margin=params.integer("margin", 1, 100, 10),
        color=params.color("color", WHITE),
        fit=params.choice("fit", ("auto", "crop"), "auto"),
        autorotate=params.flag("autorotate"),
    )


# Decoration ---------------------------------------------------------------------


@_task("vignette", "amount", "blurmode", "background")
def _vignette(params: Params) -> Vignette:
    return Vignette(
        amount=params.integer("amount", 0, 100, 20),
        blurmode=params.choice("blurmode", ("gaussian", "linear"), "gaussian"),
        background=params.color("background", WHITE),
    )


@_task("polaroid", "color", "rotate", "background")
def _polaroid(params: Params) -> Polaroid:
    return Polaroid(
        color=params.color("color", (255, 250, 250, 255)),
        rotate=params.integer("rotate", 0, 359, 45),
        background=params.color("background", WHITE),
    )


def _pair(params: Params, name: str, low: int, high: int, default: tuple[int, int]) -> tuple[int, int]:
    value = params.value(name)
    if value is None:
        return default
    numbers = _integers(value) if isinstance(value, list) and len(value) == 2 else None
    if numbers is None or not all(low <= number <= high for number in numbers):
        raise params.error(name, f"must be a pair [a,b] of integers from {low} to {high} (got {value!r})")
    return numbers[0], numbers[1]


@_task("torn_edges", "spread", "background")
def _torn_edges(params: Params) -> TornEdges:
    low, high = _pair(params, "spread", 1, 10_000, (1, 10))
    return TornEdges(spread=(min(low, high), max(low, high)), background=params.optional_color("background"))


@_task("shadow", "blur", "opacity", "vector", "color", "background")
def _shadow(params: Params) -> Shadow:
    return Shadow(
        blur=params.number("blur", 0, 20, 4),
        opacity=params.integer("opacity", 0, 100, 60),
        vector=_pair(params, "vector", -1000, 1000, (4, 4)),
        color=params.color("color", BLACK),
        background=params.optional_color("background"),
    )


@_task("oil_paint", "amount")
def _oil_paint(params: Params) -> OilPaint:
    return OilPaint(amount=params.integer("amount", 2, 100, 2))


# Answers that are not images --------------------------------------------------------


@_task("imagesize")
def _imagesize(params: Params) -> ImageSize:
    return ImageSize()


@_task("ascii", "background", "foreground", "colored", "size", "reverse")
def _ascii(params: Params) -> Ascii:
    return Ascii(
        size=params.integer("size", 10, 100, 100),
        foreground=params.color("foreground", BLACK),
        background=params.color("background", WHITE),
        colored=params.flag("colored"),
        reverse=params.flag("reverse"),
    )


@_task("pdfinfo")
def _pdfinfo(params: Params) -> DocumentExport:
    return DocumentExport("pdfinfo")


@_task("doc_to_images")
def _doc_to_images(params: Params) -> DocumentExport:
    return DocumentExport("doc_to_images")


IMAGE_TASKS: frozenset[str] = frozenset(_BUILDERS)
"""Every task name :func:`plan` turns into a step or encoder settings."""
