"""Processing API transformations: an immutable chain of tasks rendered as a CDN URL.

Every builder method validates its arguments (``ValueError`` naming the argument)
and returns a new :class:`Transformation`; the original is never changed. Values
are rendered by the protocol grammar, so a URL built here parses back with
:func:`dashboard.filestack_protocol.grammar.parse_path` to the same tasks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from dashboard.filestack_protocol.grammar import Task, Value, is_handle, render_path
from dashboard.filestack_protocol.security import Security

FIT_MODES = frozenset({"clip", "crop", "scale", "max"})
ALIGN_SINGLE = frozenset({"top", "middle", "bottom", "left", "center", "right", "faces"})
ALIGN_VERTICAL = frozenset({"top", "middle", "bottom"})
ALIGN_HORIZONTAL = frozenset({"left", "center", "right"})
OUTPUT_FORMATS = frozenset(
    {
        "doc",
        "docx",
        "html",
        "jpg",
        "odp",
        "ods",
        "odt",
        "pjpg",
        "pdf",
        "png",
        "ppt",
        "pptx",
        "svg",
        "txt",
        "webp",
        "xls",
        "xlsx",
    }
)
STORE_LOCATIONS = frozenset({"s3", "S3", "rackspace", "gcs", "azure", "dropbox"})
ACCESS_MODES = frozenset({"public", "private"})
COLORSPACES = frozenset({"rgb", "cmyk", "input"})
PAGE_ORIENTATIONS = frozenset({"landscape", "portrait"})
PAGE_FORMATS = frozenset({"a2", "a3", "a4", "a5", "b4", "b5", "letter", "legal", "tabloid"})
_TASK_NAME_RE = re.compile(r"^[a-z][a-z_]*$")
_COLOR_RE = re.compile(r"^(?:[0-9A-Fa-f]{3}|[0-9A-Fa-f]{6}|[0-9A-Fa-f]{8}|[A-Za-z]+)$")

Align = str | Sequence[str]


# ---------------------------------------------------------------------------
# Argument checks


def _int_in(name: str, value: Any, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _number_in(name: str, value: Any, low: float, high: float) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be between {low:g} and {high:g}, got {value}")
    return _plain_number(value)


def _plain_number(value: float) -> int | float:
    """Integral floats as ints, others rounded so they render without an exponent."""
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        return round(value, 4)
    return value


def _one_of(name: str, value: Any, allowed: frozenset[str]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(sorted(allowed))}; got {value!r}")
    return str(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be true or false, got {value!r}")
    return value


def _color(name: str, value: Any) -> str:
    if not isinstance(value, str) or not _COLOR_RE.match(value):
        raise ValueError(f"{name} must be a hex color without '#' or a color name, got {value!r}")
    return value


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _align(value: Align) -> Value:
    if isinstance(value, str):
        return _one_of("align", value, ALIGN_SINGLE)
    pair = list(value)
    if len(pair) != 2 or pair[0] not in ALIGN_VERTICAL or pair[1] not in ALIGN_HORIZONTAL:
        raise ValueError(
            "align must be one of "
            f"{', '.join(sorted(ALIGN_SINGLE))} or a [top|middle|bottom, left|center|right] pair; got {value!r}"
        )
    return [str(pair[0]), str(pair[1])]


def _generic_value(name: str, value: Any) -> Value:
    """Check a value given to :meth:`Transformation.task`."""
    if isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return _plain_number(value)
    if isinstance(value, (list, tuple)):
        return [_generic_value(name, item) for item in value]
    raise ValueError(f"{name} must be a string, number, boolean or list, got {type(value).__name__}")


def _params(**values: Value | None) -> dict[str, Value]:
    """The given values without the ``None`` ones, in order."""
    return {key: value for key, value in values.items() if value is not None}


# ---------------------------------------------------------------------------
# The chain


@dataclass(frozen=True)
class Transformation:
    """An ordered, immutable chain of processing tasks.

    >>> Transformation().resize(width=200).rotate(90).url("HANDLEHANDLEHANDLE12", cdn_url="https://cdn")
    'https://cdn/resize=width:200/rotate=deg:90/HANDLEHANDLEHANDLE12'
    """

    tasks: tuple[Task, ...] = ()
    signed_with: Security | None = None

    def _add(self, name: str, params: dict[str, Value] | None = None) -> Transformation:
        return replace(self, tasks=self.tasks + (Task(name, dict(params or {})),))

    def __len__(self) -> int:
        return len(self.tasks)

    @property
    def task_names(self) -> tuple[str, ...]:
        """Names of the tasks, in order."""
        return tuple(task.name for task in self.tasks)

    # -- image tasks --------------------------------------------------------

    def resize(
        self,
        width: int | None = None,
        height: int | None = None,
        fit: str | None = None,
        align: Align | None = None,
    ) -> Transformation:
        """``resize``: at least one of ``width``/``height`` (1–10000); ``fit`` clip|crop|scale|max."""
        if width is None and height is None:
            raise ValueError("resize needs width or height")
        return self._add(
            "resize",
            _params(
                width=None if width is None else _int_in("width", width, 1, 10000),
                height=None if height is None else _int_in("height", height, 1, 10000),
                fit=None if fit is None else _one_of("fit", fit, FIT_MODES),
                align=None if align is None else _align(align),
            ),
        )

    def crop(self, x: int, y: int, w: int, h: int) -> Transformation:
        """``crop=dim:[x,y,w,h]``: ``x``, ``y`` ≥ 0; ``w``, ``h`` ≥ 1."""
        dim = [
            _int_in("x", x, 0, 100_000),
            _int_in("y", y, 0, 100_000),
            _int_in("w", w, 1, 100_000),
            _int_in("h", h, 1, 100_000),
        ]
        return self._add("crop", {"dim": list(dim)})

    def rotate(
        self,
        deg: int | Literal["exif"],
        exif: bool | None = None,
        background: str | None = None,
    ) -> Transformation:
        """``rotate``: ``deg`` 0–359 or ``"exif"``; optional ``exif`` flag and ``background`` color."""
        degrees: Value = "exif" if deg == "exif" else _int_in("deg", deg, 0, 359)
        return self._add(
            "rotate",
            _params(
                deg=degrees,
                exif=None if exif is None else _bool("exif", exif),
                background=None if background is None else _color("background", background),
            ),
        )

    def flip(self) -> Transformation:
        """``flip``: mirror vertically."""
        return self._add("flip")

    def flop(self) -> Transformation:
        """``flop``: mirror horizontally."""
        return self._add("flop")

    def compress(self, metadata: bool | None = None) -> Transformation:
        """``compress``, optionally keeping ``metadata``."""
        return self._add(
            "compress", _params(metadata=None if metadata is None else _bool("metadata", metadata))
        )

    def output(
        self,
        format: str | None = None,
        quality: int | Literal["input"] | None = None,
        *,
        page: int | None = None,
        density: int | None = None,
        compress: bool | None = None,
        strip: bool | None = None,
        colorspace: str | None = None,
        background: str | None = None,
        secure: bool | None = None,
        docinfo: bool | None = None,
        pageformat: str | None = None,
        pageorientation: str | None = None,
    ) -> Transformation:
        """``output``: convert to ``format`` with optional quality (1–100 or ``"input"``) and options."""
        params = _params(
            format=None if format is None else _one_of("format", format, OUTPUT_FORMATS),
            quality=None
            if quality is None
            else ("input" if quality == "input" else _int_in("quality", quality, 1, 100)),
            page=None if page is None else _int_in("page", page, 1, 99999),
            density=None if density is None else _int_in("density", density, 1, 500),
            compress=None if compress is None else _bool("compress", compress),
            strip=None if strip is None else _bool("strip", strip),
            colorspace=None if colorspace is None else _one_of("colorspace", colorspace, COLORSPACES),
            background=None if background is None else _color("background", background),
            secure=None if secure is None else _bool("secure", secure),
            docinfo=None if docinfo is None else _bool("docinfo", docinfo),
            pageformat=None if pageformat is None else _one_of("pageformat", pageformat, PAGE_FORMATS),
            pageorientation=None
            if pageorientation is None
            else _one_of("pageorientation", pageorientation, PAGE_ORIENTATIONS),
        )
        if not params:
            raise ValueError("output needs at least one option, e.g. format")
        return self._add("output", params)

    def quality(self, value: int) -> Transformation:
        """``quality=value:N`` (1–100)."""
        return self._add("quality", {"value": _int_in("value", value, 1, 100)})

    def blur(self, amount: float | None = None) -> Transformation:
        """``blur``, ``amount`` 0–20 (Filestack's default 2)."""
        return self._add(
            "blur", _params(amount=None if amount is None else _number_in("amount", amount, 0, 20))
        )

    def sharpen(self, amount: float | None = None) -> Transformation:
        """``sharpen``, ``amount`` 0–20 (Filestack's default 2)."""
        return self._add(
            "sharpen", _params(amount=None if amount is None else _number_in("amount", amount, 0, 20))
        )

    def monochrome(self) -> Transformation:
        """``monochrome``."""
        return self._add("monochrome")

    def circle(self, background: str | None = None) -> Transformation:
        """``circle``, optional ``background`` color."""
        return self._add(
            "circle", _params(background=None if background is None else _color("background", background))
        )

    def rounded_corners(
        self,
        radius: int | Literal["max"] | None = None,
        blur: float | None = None,
        background: str | None = None,
    ) -> Transformation:
        """``rounded_corners``: ``radius`` 1–10000 or ``"max"``, ``blur`` 0–20, ``background``."""
        return self._add(
            "rounded_corners",
            _params(
                radius=None
                if radius is None
                else ("max" if radius == "max" else _int_in("radius", radius, 1, 10000)),
                blur=None if blur is None else _number_in("blur", blur, 0, 20),
                background=None if background is None else _color("background", background),
            ),
        )

    def no_metadata(self) -> Transformation:
        """``no_metadata``: strip EXIF and other metadata."""
        return self._add("no_metadata")

    def store(
        self,
        filename: str | None = None,
        location: str | None = None,
        path: str | None = None,
        container: str | None = None,
        access: str | None = None,
    ) -> Transformation:
        """``store`` the result; the CDN then answers with JSON describing the stored file."""
        return self._add(
            "store",
            _params(
                filename=None if filename is None else _text("filename", filename),
                location=None if location is None else _one_of("location", location, STORE_LOCATIONS),
                path=None if path is None else _text("path", path),
                container=None if container is None else _text("container", container),
                access=None if access is None else _one_of("access", access, ACCESS_MODES),
            ),
        )

    def task(self, name: str, **params: Any) -> Transformation:
        """Any other task, e.g. ``task("modulate", brightness=120)``; ``None`` params are left out."""
        if not _TASK_NAME_RE.match(name):
            raise ValueError(f"name must be a lower-case task name, got {name!r}")
        if name == "security":
            raise ValueError("name 'security' is reserved; use .security(sec)")
        return self._add(
            name, {key: _generic_value(key, value) for key, value in params.items() if value is not None}
        )

    def security(self, sec: Security) -> Transformation:
        """Sign the URL with ``sec``; its task goes immediately before the source."""
        return replace(self, signed_with=sec)

    # -- rendering ----------------------------------------------------------

    def path(self, source: str, *, apikey: str | None = None) -> str:
        """``[apikey/]tasks.../[security=.../]source`` without a leading slash.

        An API key is required for sources that are not handles (URLs, ``src://`` aliases).
        """
        if not source:
            raise ValueError("source must not be empty")
        if apikey is None and not is_handle(source):
            raise ValueError("apikey is required when the source is a URL or storage alias")
        tasks = list(self.tasks)
        if self.signed_with is not None:
            tasks.append(Task("security", {"p": self.signed_with.policy, "s": self.signed_with.signature}))
        return render_path(tasks, source, apikey)

    def url(self, source: str, *, cdn_url: str, apikey: str | None = None) -> str:
        """``{cdn_url}/[apikey/]tasks.../[security=.../]source``."""
        return f"{cdn_url.rstrip('/')}/{self.path(source, apikey=apikey)}"
