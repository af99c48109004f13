"""Filestack's processing URL grammar: task chains <-> URL path segments.

A processing URL is ``[APIKEY/][TASK[=opt:val,opt:val]/...]SOURCE``. Tasks run left
to right. Values are typed on parse (ints, floats, booleans, arrays) and rendered
back the way Filestack's SDKs write them: booleans lower-case, arrays ``[a,b]`` and
strings that contain ``/`` or ``,`` wrapped in double quotes.

The same code builds URLs in the client and parses them in the embedded service,
so a URL the client renders is exactly the URL the service understands.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator, Union

Value = Union[str, int, float, bool, list["Value"]]

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
        "resize", "crop", "rotate", "flip", "flop", "compress", "output", "quality",
        "blur", "sharpen", "monochrome", "blackwhite", "sepia", "negative", "circle",
        "rounded_corners", "border", "shadow", "vignette", "polaroid", "torn_edges",
        "modulate", "pixelate", "oil_paint", "no_metadata", "auto_image", "enhance",
        "redeye", "watermark", "crop_faces", "smart_crop", "detect_faces", "partial_blur",
        "partial_pixelate", "upscale", "pjpg", "cache", "store", "security",
        "run_workflow", "workflow_status", "metadata", "tags", "sfw", "ocr", "copyright",
        "debug", "zip", "ascii", "fallback", "imagesize", "doc_detection",
    }
)

#: Short parameter names (Filestack's "Name (Alias)" legend) and their long forms.
PARAM_ALIASES: dict[str, dict[str, str]] = {
    "security": {"p": "policy", "s": "signature"},
    "store": {"f": "filename", "l": "location", "p": "path", "c": "container", "r": "region", "a": "access"},
    "cache": {"e": "expiry"},
}

#: Parameters that are always strings, whatever they look like (ids, signatures, paths).
STRING_PARAMS: dict[str, frozenset[str]] = {
    "security": frozenset({"policy", "signature"}),
    "run_workflow": frozenset({"id"}),
    "workflow_status": frozenset({"job_id"}),
    "store": frozenset({"filename", "path", "container", "region", "location"}),
    "watermark": frozenset({"file"}),
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


def render_chain(tasks: Iterator[Task] | tuple[Task, ...] | list[Task]) -> str:
    """Tasks joined by slashes, in order."""
    return "/".join(task.render() for task in tasks)


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


def parse_chain(text: str) -> tuple[Task, ...]:
    """The tasks of a chain without a source, e.g. ``resize=width:400/store=path:"a/"``."""
    return tuple(parse_task(segment) for segment in _split_top_level(text.strip("/"), "/") if segment)


def _is_task_segment(segment: str) -> bool:
    name = segment.partition("=")[0]
    return name in KNOWN_TASKS


def _parse_sources(text: str) -> tuple[str, ...]:
    if text.startswith("[") and text.endswith("]") and "://" not in text.split(",")[0][:12]:
        items = [s.strip() for s in text[1:-1].split(",") if s.strip()]
        if not items:
            raise GrammarError("empty source list")
        return tuple(items)
    return (text,)


def parse_path(path: str) -> ParsedPath:
    """Parse a processing path (without the host) into API key, tasks and sources.

    The source is everything after the last task, kept verbatim, so external URLs
    (``https://...``) and storage aliases (``src://alias/path``) survive intact.
    """
    path = path.lstrip("/")
    if not path:
        raise GrammarError("empty processing path")
    apikey: str | None = None
    tasks: list[Task] = []
    pos = 0
    first = True
    while pos < len(path):
        end = _top_level_index(path, pos, "/")
        segment = path[pos:end]
        rest_start = end + 1
        if _is_task_segment(segment):
            if end == len(path) and segment.partition("=")[0] != "workflow_status":
                raise GrammarError(f"no source after task {segment!r}")
            tasks.append(parse_task(segment))
            pos = rest_start
            first = False
            continue
        if first and end < len(path) and "://" not in path[pos : pos + 12] and ":" not in segment:
            following = path[rest_start : _top_level_index(path, rest_start, "/")]
            if _is_task_segment(following) or "://" in path[rest_start:]:
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
