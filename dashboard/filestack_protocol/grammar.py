"""Filestack's processing URL grammar: task chains <-> URL path segments.

A processing URL is ``[APIKEY/][TASK[=opt:val,opt:val]/...]SOURCE``. Tasks run left
to right. Values are typed on parse (ints, floats, booleans, arrays) and rendered
back the way Filestack's SDKs write them: booleans lower-case, arrays ``[a,b]`` and
strings that contain ``/`` or ``,`` wrapped in double quotes.

The same code builds URLs in the client and parses them in the embedded service,
so a URL the client renders is exactly the URL the service understands.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

Value = str | int | float | bool | list["Value"]

HANDLE_RE = re.compile(r"^[A-Za-z0-9_-]{20}$")
_INT_RE = re.compile(r"^-?\d+$")
_FLOAT_RE = re.compile(r"^-?\d+\.\d+$")
_TASK_NAME_RE = re.compile(r"^[a-z][a-z_]*$")
#: How deep arrays may nest in a parameter value.
MAX_ARRAY_DEPTH = 8
#: How many digits an integer parameter may have.
MAX_INT_DIGITS = 64

#: Every task name the grammar recognises as a task rather than the start of a source.
KNOWN_TASKS: frozenset[str] = frozenset(
    {
        "resize",
        "crop",
        "rotate",
        "flip",
        "flop",
        "compress",
        "output",
        "quality",
        "blur",
        "sharpen",
        "monochrome",
        "blackwhite",
        "sepia",
        "negative",
        "circle",
        "rounded_corners",
        "border",
        "shadow",
        "vignette",
        "polaroid",
        "torn_edges",
        "modulate",
        "pixelate",
        "oil_paint",
        "no_metadata",
        "auto_image",
        "enhance",
        "redeye",
        "watermark",
        "crop_faces",
        "smart_crop",
        "detect_faces",
        "partial_blur",
        "partial_pixelate",
        "upscale",
        "pjpg",
        "cache",
        "store",
        "security",
        "run_workflow",
        "workflow_status",
        "metadata",
        "tags",
        "sfw",
        "ocr",
        "copyright",
        "debug",
        "zip",
        "ascii",
        "fallback",
        "imagesize",
        "doc_detection",
        # the rest of Filestack's processing tasks (their SDKs emit them)
        "pixelate_faces",
        "blur_faces",
        "collage",
        "animate",
        "urlscreenshot",
        "doc_to_images",
        "pdfinfo",
        "pdfconvert",
        "pdfcreate",
        "video_convert",
        "video_playlist",
        "minify_css",
        "minify_js",
        "caption",
        "image_sentiment",
        "text_sentiment",
        "qr",
        "slide",
    }
)

B64_TASKS = "b64"
"""``b64/<url-safe base64 of a JSON task list>``: the chain written as JSON (filestack-js, Go)."""
B64_SOURCE = "b64://"
"""``b64://<url-safe base64>``: a source (a handle, a URL or a ``[h1,h2]`` list) written as base64."""

#: Short parameter names (Filestack's "Name (Alias)" legend) and their long forms.
PARAM_ALIASES: dict[str, dict[str, str]] = {
    "security": {"p": "policy", "s": "signature"},
    "store": {
        "f": "filename",
        "l": "location",
        "p": "path",
        "c": "container",
        "r": "region",
        "a": "access",
        "b": "base64decode",
        "w": "workflows",
    },
    "cache": {"e": "expiry", "f": "false"},
    "resize": {"w": "width", "h": "height", "f": "fit", "a": "align"},
    "crop": {"d": "dim"},
    "rotate": {"d": "deg", "e": "exif", "b": "background"},
    "output": {
        "f": "format",
        "q": "quality",
        "p": "page",
        "d": "density",
        "c": "compress",
        "b": "background",
    },
    "compress": {"m": "metadata"},
    "quality": {"v": "value"},
    "pjpg": {"q": "quality", "m": "metadata"},
    "blur": {"a": "amount"},
    "sharpen": {"a": "amount"},
    "pixelate": {"a": "amount"},
    "oil_paint": {"a": "amount"},
    "blackwhite": {"t": "threshold"},
    "sepia": {"t": "tone"},
    "modulate": {"b": "brightness", "h": "hue", "s": "saturation"},
    "circle": {"b": "background"},
    "border": {"b": "background", "c": "color", "w": "width"},
    "rounded_corners": {"b": "background", "l": "blur", "r": "radius"},
    "vignette": {"a": "amount", "b": "background", "m": "blurmode"},
    "polaroid": {"b": "background", "c": "color", "r": "rotate"},
    "torn_edges": {"b": "background", "s": "spread"},
    "shadow": {"b": "background", "l": "blur", "o": "opacity", "v": "vector", "c": "color"},
    "watermark": {"f": "file", "p": "position", "s": "size"},
    "ascii": {"b": "background", "c": "colored", "f": "foreground", "r": "reverse", "s": "size"},
    "collage": {
        "f": "files",
        "w": "width",
        "h": "height",
        "c": "color",
        "i": "fit",
        "m": "margin",
        "a": "autorotate",
    },
    "detect_faces": {"c": "color", "e": "export", "n": "minsize", "x": "maxsize"},
    "crop_faces": {
        "m": "mode",
        "w": "width",
        "h": "height",
        "f": "faces",
        "b": "buffer",
        "n": "minsize",
        "x": "maxsize",
    },
    "pixelate_faces": {
        "f": "faces",
        "a": "amount",
        "l": "blur",
        "t": "type",
        "b": "buffer",
        "n": "minsize",
        "x": "maxsize",
    },
    "blur_faces": {
        "f": "faces",
        "a": "amount",
        "l": "blur",
        "t": "type",
        "b": "buffer",
        "n": "minsize",
        "x": "maxsize",
    },
    "partial_pixelate": {"a": "amount", "l": "blur", "o": "objects", "t": "type"},
    "partial_blur": {"a": "amount", "l": "blur", "o": "objects", "t": "type"},
    "smart_crop": {"m": "mode", "w": "width", "h": "height"},
    "animate": {
        "d": "delay",
        "l": "loop",
        "w": "width",
        "h": "height",
        "f": "fit",
        "a": "align",
        "b": "background",
    },
    "fallback": {"h": "handle", "c": "cache"},
    "urlscreenshot": {
        "a": "agent",
        "m": "mode",
        "w": "width",
        "h": "height",
        "d": "delay",
        "o": "orientation",
    },
    "upscale": {"n": "noise", "s": "style", "u": "upscale"},
}

#: Parameters that are always strings, whatever they look like (ids, signatures, paths).
STRING_PARAMS: dict[str, frozenset[str]] = {
    "security": frozenset({"policy", "signature"}),
    "run_workflow": frozenset({"id"}),
    "workflow_status": frozenset({"job_id"}),
    "store": frozenset({"filename", "path", "container", "region", "location"}),
    "watermark": frozenset({"file"}),
    "fallback": frozenset({"handle"}),
}

#: Parameters that are strings in every task: colours like ``000000`` must not become numbers.
COLOR_PARAMS: frozenset[str] = frozenset({"background", "color"})


class GrammarError(ValueError):
    """A processing URL or task string that does not follow the grammar."""


@dataclass(frozen=True)
class Task:
    """One processing task, e.g. ``resize=width:400,fit:crop``.

    ``params`` holds typed values: ints, floats, bools, strings and (nested) lists.
    A task with no params renders as its bare name (``flip``).
    """

    name: str
    params: dict[str, Value] = field(default_factory=dict)

    def render(self) -> str:
        """This task as a URL segment."""
        if not self.params:
            return self.name
        body = ",".join(f"{key}:{render_value(value)}" for key, value in self.params.items())
        return f"{self.name}={body}"

    def canonical(self) -> str:
        """The segment with params sorted: equal tasks give equal strings."""
        return Task(self.name, dict(sorted(self.params.items()))).render()


@dataclass(frozen=True)
class ParsedPath:
    """A processing path split into its parts."""

    apikey: str | None
    tasks: tuple[Task, ...]
    sources: tuple[str, ...]

    def task(self, name: str) -> Task | None:
        """The first task with this name, if any."""
        return next((t for t in self.tasks if t.name == name), None)

    @property
    def image_tasks(self) -> tuple[Task, ...]:
        """The tasks that change pixels: everything but security and cache."""
        return tuple(t for t in self.tasks if t.name not in {"security", "cache"})


# ---------------------------------------------------------------------------
# Rendering


def render_value(value: Value) -> str:
    """Render one parameter value as Filestack's SDKs do."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(render_value(v) for v in value) + "]"
    text = str(value)
    if any(ch in text for ch in '/,[]"'):
        return '"' + text.replace('"', '\\"') + '"'
    return text


def render_path(tasks: tuple[Task, ...] | list[Task], source: str, apikey: str | None = None) -> str:
    """``[APIKEY/]tasks.../SOURCE`` without a leading slash."""
    parts: list[str] = []
    if apikey:
        parts.append(apikey)
    parts.extend(task.render() for task in tasks)
    parts.append(source)
    return "/".join(parts)


# ---------------------------------------------------------------------------
# Parsing


def _top_level_index(text: str, start: int, sep: str) -> int:
    """Index of the next ``sep`` at or after ``start`` outside quotes and brackets (or len)."""
    depth = 0
    quoted = False
    i = start
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\" and i + 1 < len(text):
                i += 2
                continue
            if ch == '"':
                quoted = False
        elif ch == '"':
            quoted = True
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth < 0:
                raise GrammarError(f"unbalanced ']' in {text!r}")
        elif ch == sep and depth == 0:
            return i
        i += 1
    if quoted:
        raise GrammarError(f"unterminated quote in {text!r}")
    if depth:
        raise GrammarError(f"unbalanced '[' in {text!r}")
    return len(text)


def _split_top_level(text: str, sep: str) -> list[str]:
    """Split on ``sep`` outside double quotes and square brackets."""
    parts: list[str] = []
    start = 0
    while True:
        end = _top_level_index(text, start, sep)
        parts.append(text[start:end])
        if end == len(text):
            return parts
        start = end + 1


def parse_value(text: str, *, as_string: bool = False, _depth: int = 0) -> Value:
    """Parse one value: quoted string, array, boolean, int, float or bare string.

    Arrays nest at most :data:`MAX_ARRAY_DEPTH` deep and integers have at most
    :data:`MAX_INT_DIGITS` digits; beyond that the value is a :class:`GrammarError`.
    """
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    if as_string:
        return text
    if text.startswith("[") and text.endswith("]"):
        if _depth >= MAX_ARRAY_DEPTH:
            raise GrammarError(f"arrays are nested more than {MAX_ARRAY_DEPTH} deep")
        inner = text[1:-1]
        if not inner:
            return []
        return [parse_value(item.strip(), _depth=_depth + 1) for item in _split_top_level(inner, ",")]
    if text in ("true", "false"):
        return text == "true"
    if _INT_RE.match(text):
        if len(text.lstrip("-")) > MAX_INT_DIGITS:
            raise GrammarError(f"number {text[:16]}... has more than {MAX_INT_DIGITS} digits")
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    return text


def parse_task(segment: str) -> Task:
    """Parse ``name`` or ``name=key:value,key:value`` into a :class:`Task`."""
    name, sep, body = segment.partition("=")
    if not _TASK_NAME_RE.match(name):
        raise GrammarError(f"invalid task name {name!r}")
    params: dict[str, Value] = {}
    if sep and not body:
        raise GrammarError(f"task {name!r} has '=' but no parameters")
    if body:
        aliases = PARAM_ALIASES.get(name, {})
        strings = STRING_PARAMS.get(name, frozenset()) | COLOR_PARAMS
        for item in _split_top_level(body, ","):
            key, colon, raw = item.partition(":")
            key = key.strip()
            if not key:
                raise GrammarError(f"task {name!r} has an empty parameter in {segment!r}")
            key = aliases.get(key, key)
            if key in params:
                raise GrammarError(f"task {name!r} repeats parameter {key!r}")
            params[key] = parse_value(raw, as_string=key in strings) if colon else True
    return Task(name, params)


def split_chain(text: str) -> list[str]:
    """The segments of a task chain (``resize=width:400/flip``), split on ``/`` outside quotes and
    brackets; blank segments are dropped. Unbalanced brackets and open quotes are a :class:`GrammarError`."""
    return [segment.strip() for segment in _split_top_level(text, "/") if segment.strip()]


def parse_chain(text: str) -> list[Task]:
    """Every task of a chain written as in a processing URL, in order."""
    return [parse_task(segment) for segment in split_chain(text)]


def _is_task_segment(segment: str) -> bool:
    name = segment.partition("=")[0]
    return name in KNOWN_TASKS or name == B64_TASKS


def b64_decode(text: str) -> str:
    """URL-safe (or standard) base64 text, padding optional, as UTF-8; :class:`GrammarError` if not."""
    cleaned = text.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True).decode("utf-8")
    except (binascii.Error, ValueError) as err:
        raise GrammarError(f"{text[:32]!r} is not base64 text") from err


def _json_value(value: object) -> Value:
    """A JSON parameter value as a grammar value (ints, floats, booleans, strings, lists)."""
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [_json_value(item) for item in value]
    raise GrammarError(f"parameter value {value!r} is not a string, number, boolean or list")


def parse_b64_tasks(text: str) -> list[Task]:
    """The ``b64`` chain: base64 of a JSON list of ``{"name", "params"}`` (Go writes ``Name``/``Params``)."""
    try:
        steps = json.loads(b64_decode(text))
    except (json.JSONDecodeError, RecursionError) as err:
        raise GrammarError("the b64 task list is not JSON") from err
    if not isinstance(steps, list):
        raise GrammarError("the b64 task list must be a JSON list of tasks")
    tasks: list[Task] = []
    for step in steps:
        if not isinstance(step, dict):
            raise GrammarError(f"b64 task {step!r} is not an object with a name")
        name = step.get("name", step.get("Name"))
        params = step.get("params", step.get("Params")) or {}
        if not isinstance(name, str) or not _TASK_NAME_RE.match(name) or not isinstance(params, dict):
            raise GrammarError(f"b64 task {step!r} needs a task name and an object of params")
        aliases = PARAM_ALIASES.get(name, {})
        tasks.append(Task(name, {aliases.get(str(k), str(k)): _json_value(v) for k, v in params.items()}))
    return tasks


def _unquoted(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def _parse_sources(text: str, _depth: int = 0) -> tuple[str, ...]:
    """The source part of a path: one source, or ``[a,b]``; quoted and ``b64://`` forms unwrapped."""
    text = _unquoted(text)
    if text.startswith(B64_SOURCE):
        if _depth > 1:
            raise GrammarError("b64:// sources nest too deep")
        return _parse_sources(b64_decode(text[len(B64_SOURCE) :]), _depth + 1)
    if text.startswith("[") and text.endswith("]"):
        items = [item.strip() for item in _split_top_level(text[1:-1], ",") if item.strip()]
        if not items:
            raise GrammarError("empty source list")
        sources: list[str] = []
        for item in items:
            sources.extend(_parse_sources(item, _depth + 1) if _depth < 2 else (item,))
        return tuple(sources)
    return (text,)


def parse_path(path: str) -> ParsedPath:
    """Parse a processing path (without the host) into API key, tasks and sources.

    The source is everything after the last task, kept verbatim, so external URLs
    (``https://...``) and storage aliases (``src://alias/path``) survive intact. A quoted
    source (``"https://..."``), a ``b64://`` source and a list ``[a,b]`` are unwrapped, and
    a ``b64/<tasks>`` segment stands for the tasks it encodes.
    """
    path = path.lstrip("/")
    if not path:
        raise GrammarError("empty processing path")
    apikey: str | None = None
    tasks: list[Task] = []
    pos = 0
    first = True
    while pos < len(path):
        if path[pos] == '"':
            break  # a quoted source (its closing quote may sit in the query string)
        end = _top_level_index(path, pos, "/")
        segment = path[pos:end]
        rest_start = end + 1
        if segment == B64_TASKS and end < len(path):
            encoded_end = _top_level_index(path, rest_start, "/")
            if encoded_end == len(path):
                raise GrammarError("no source after the b64 tasks")
            tasks.extend(parse_b64_tasks(path[rest_start:encoded_end]))
            pos = encoded_end + 1
            first = False
            continue
        if _is_task_segment(segment) and segment != B64_TASKS:
            if end == len(path) and segment.partition("=")[0] != "workflow_status":
                raise GrammarError(f"no source after task {segment!r}")
            tasks.append(parse_task(segment))
            pos = rest_start
            first = False
            continue
        if first and end < len(path) and "://" not in path[pos : pos + 12] and ":" not in segment:
            quoted_next = path.startswith('"', rest_start)
            following = "" if quoted_next else path[rest_start : _top_level_index(path, rest_start, "/")]
            if quoted_next or _is_task_segment(following) or "://" in path[rest_start:]:
                apikey = segment
                pos = rest_start
                first = False
                continue
        break
    source = path[pos:]
    if not source:
        if tasks and tasks[-1].name == "workflow_status":
            return ParsedPath(apikey, tuple(tasks), ())
        raise GrammarError("processing path has no source")
    return ParsedPath(apikey, tuple(tasks), _parse_sources(source))


def is_handle(source: str) -> bool:
    """True for a 20-character Filestack handle."""
    return bool(HANDLE_RE.match(source))
