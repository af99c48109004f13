"""Typed, range-checked reading of one task's parameters.

The URL grammar already types values (``400`` is an int, ``true`` a bool,
``[a,b]`` a list); this module checks names and ranges and turns colours into
RGBA tuples, raising :class:`UnsupportedTask` with a message naming the task
and the parameter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterable
from typing import TypeVar

from PIL import ImageColor

from dashboard.filestack_protocol.grammar import Task, Value

from .errors import UnsupportedTask

RGBA = tuple[int, int, int, int]
"""A colour with alpha, each channel 0–255."""

_HEX_COLOR = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})")
_TRANSPARENT: RGBA = (0, 0, 0, 0)

_K = TypeVar("_K", bound=str)


class Params:
    """Read the parameters of ``task``, refusing any name not in ``allowed``."""

    def __init__(self, task: Task, allowed: Iterable[str] = ()) -> None:
        self.task = task
        allowed_names = frozenset(allowed)
        unknown = sorted(name for name in task.params if name not in allowed_names)
        if unknown:
            raise self.error(unknown[0], "is not a known parameter")

    def error(self, name: str, problem: str) -> UnsupportedTask:
        """An :class:`UnsupportedTask` naming this task and parameter ``name``."""
        return UnsupportedTask(f"{self.task.name}: parameter '{name}' {problem}")

    def has(self, name: str) -> bool:
        """True when the URL gave parameter ``name``."""
        return name in self.task.params

    def integer(self, name: str, low: int, high: int, default: int) -> int:
        """An integer in ``[low, high]``; ``default`` when absent."""
        found = self.optional_integer(name, low, high)
        return default if found is None else found

    def optional_integer(self, name: str, low: int, high: int) -> int | None:
        """An integer in ``[low, high]``; None when absent."""
        if not self.has(name):
            return None
        value = self.task.params[name]
        number = _as_integer(value)
        if number is None or not low <= number <= high:
            raise self.error(name, f"must be an integer from {low} to {high} (got {value!r})")
        return number

    def number(self, name: str, low: float, high: float, default: float) -> float:
        """A real number in ``[low, high]``; ``default`` when absent."""
        if not self.has(name):
            return default
        value = self.task.params[name]
        number = _as_number(value)
        if number is None or not low <= number <= high:
            raise self.error(name, f"must be a number from {low:g} to {high:g} (got {value!r})")
        return number

    def integer_or_keyword(self, name: str, keyword: _K, low: int, high: int, default: int | _K) -> int | _K:
        """An integer in ``[low, high]`` or the literal ``keyword`` (e.g. ``max``)."""
        found = self.optional_integer_or_keyword(name, keyword, low, high)
        return default if found is None else found

    def optional_integer_or_keyword(self, name: str, keyword: _K, low: int, high: int) -> int | _K | None:
        """An integer in ``[low, high]`` or the literal ``keyword``; None when absent."""
        if not self.has(name):
            return None
        value = self.task.params[name]
        if isinstance(value, str) and value.lower() == keyword:
            return keyword
        number = _as_integer(value)
        if number is None or not low <= number <= high:
            raise self.error(name, f"must be an integer from {low} to {high} or '{keyword}' (got {value!r})")
        return number

    def flag(self, name: str, default: bool = False) -> bool:
        """A boolean (``true``/``false``); ``default`` when absent."""
        found = self.optional_flag(name)
        return default if found is None else found

    def optional_flag(self, name: str) -> bool | None:
        """A boolean (``true``/``false``); None when absent."""
        if not self.has(name):
            return None
        value = self.task.params[name]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise self.error(name, f"must be true or false (got {value!r})")

    def choice(self, name: str, options: Collection[_K], default: _K) -> _K:
        """One of ``options`` (case-insensitive); ``default`` when absent."""
        if not self.has(name):
            return default
        value = self.task.params[name]
        if isinstance(value, str):
            for option in options:
                if option == value.lower():
                    return option
        listed = ", ".join(sorted(options))
        raise self.error(name, f"must be one of {listed} (got {value!r})")

    def color(self, name: str, default: RGBA) -> RGBA:
        """A colour (see :meth:`optional_color`); ``default`` when absent."""
        found = self.optional_color(name)
        return default if found is None else found

    def optional_color(self, name: str) -> RGBA | None:
        """A colour as hex (``RRGGBB``, ``RRGGBBAA``, ``RGB``) or a CSS name; None when absent."""
        if not self.has(name):
            return None
        value = self.task.params[name]
        color = parse_color(value)
        if color is None:
            raise self.error(
                name, f"must be a colour as RRGGBB, RRGGBBAA or a name like 'white' (got {value!r})"
            )
        return color

    def value(self, name: str) -> Value | None:
        """The raw typed value of ``name``, or None when absent."""
        return self.task.params.get(name)


def parse_color(value: Value) -> RGBA | None:
    """Parse a Filestack colour, or return None when it is not one.

    The URL grammar types an all-digit hex colour such as ``000000`` or
    ``112233`` as an integer; those are read back as six hex digits (eight when
    the number is too long for six), which is the only reading that makes sense
    for a colour parameter.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if value < 0:
            return None
        digits = str(value)
        value = digits.zfill(6) if len(digits) <= 6 else digits.zfill(8)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.lower() == "transparent":
        return _TRANSPARENT
    if _HEX_COLOR.fullmatch(text):
        return _parse_hex(text.lstrip("#"))
    try:
        rgb = ImageColor.getrgb(text)
    except ValueError:
        return None
    return (rgb[0], rgb[1], rgb[2], rgb[3] if len(rgb) == 4 else 255)


def _parse_hex(digits: str) -> RGBA:
    """``RGB``, ``RRGGBB`` or ``RRGGBBAA`` hex digits to an RGBA tuple."""
    if len(digits) == 3:
        digits = "".join(char * 2 for char in digits)
    if len(digits) == 6:
        digits += "ff"
    red, green, blue, alpha = (int(digits[i : i + 2], 16) for i in range(0, 8, 2))
    return (red, green, blue, alpha)


def _as_integer(value: Value) -> int | None:
    """An int from an int, an integral float or a decimal string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    return None


def _as_number(value: Value) -> float | None:
    """A finite float from an int, a float or a decimal string; else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None
