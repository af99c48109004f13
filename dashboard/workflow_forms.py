"""Form fields generated from an action contract's params schema, and the text they hold.

``GET /workflows-beta/tasks`` describes each action's params as a JSON schema (what
pydantic writes). :func:`fields_of` reads the parts a form needs -- type, choices,
range, default, help text, whether it is required -- and :func:`value_from_text` /
:func:`text_of_value` convert between what a person types and the JSON sent. Text that
does not fit the type is sent as typed, so the API's own message names the problem.
No I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

#: A param the form leaves out of the body (the action's default applies).
ABSENT = object()


class FieldKind(str, Enum):
    """How a param is edited."""

    TEXT = "text"
    INTEGER = "integer"
    NUMBER = "number"
    BOOLEAN = "boolean"
    CHOICE = "choice"
    JSON = "json"


@dataclass(frozen=True)
class FieldSpec:
    """One param of an action as a form field."""

    name: str
    label: str
    kind: FieldKind
    required: bool = False
    default: Any = ABSENT
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    help: str = ""
    nullable: bool = False
    #: A text field whose value may also be a JSON array or object (``anyOf`` string | list).
    accepts_json: bool = False

    @property
    def has_default(self) -> bool:
        """Whether leaving the field empty sends nothing and the action's default applies."""
        return self.default is not ABSENT

    @property
    def range_text(self) -> str:
        """``1–10000``, ``≥ 1``, ``≤ 100`` or ``""``."""
        low, high = _number_text(self.minimum), _number_text(self.maximum)
        if low and high:
            return f"{low}–{high}"
        if low:
            return f"≥ {low}"
        return f"≤ {high}" if high else ""

    @property
    def placeholder(self) -> str:
        """What an empty field means."""
        if self.has_default and self.default is not None:
            return f"default: {text_of_value(self, self.default)}"
        return "required" if self.required else "optional"


def _number_text(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref`` (``#/$defs/Name``)."""
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        if isinstance(target, dict):
            return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
    return schema


def _options(schema: dict[str, Any], root: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """The non-null alternatives of a schema, and whether ``null`` is one of them."""
    schema = _resolve(schema, root)
    alternatives = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(alternatives, list):
        options: list[dict[str, Any]] = []
        nullable = False
        for alternative in alternatives:
            inner, inner_null = _options(alternative if isinstance(alternative, dict) else {}, root)
            options.extend(inner)
            nullable = nullable or inner_null
        return options, nullable
    kind = schema.get("type")
    if isinstance(kind, list):
        nullable = "null" in kind
        return [{**schema, "type": k} for k in kind if k != "null"], nullable
    if kind == "null":
        return [], True
    return [schema], False


def _bound(schema: dict[str, Any], inclusive: str, exclusive: str, step: float) -> float | None:
    if isinstance(schema.get(inclusive), (int, float)):
        return float(schema[inclusive])
    if isinstance(schema.get(exclusive), (int, float)):
        return float(schema[exclusive]) + (step if inclusive == "minimum" else -step)
    return None


def _field(name: str, schema: dict[str, Any], root: dict[str, Any], required: bool) -> FieldSpec:
    resolved = _resolve(schema, root)
    options, nullable = _options(schema, root)
    label = str(resolved.get("title") or name.replace("_", " ").capitalize())
    help_text = str(resolved.get("description") or "").strip()
    default = resolved.get("default", ABSENT)
    common = {
        "name": name,
        "label": label,
        "required": required,
        "default": default,
        "help": help_text,
        "nullable": nullable,
    }
    enum_values = next((o["enum"] for o in options if isinstance(o.get("enum"), list)), None)
    if enum_values is not None:
        choices = tuple(v if isinstance(v, str) else json.dumps(v) for v in enum_values)
        return FieldSpec(kind=FieldKind.CHOICE, choices=choices, **common)
    types = [o.get("type") for o in options]
    if len(options) == 1 and types[0] in ("integer", "number"):
        step = 1.0 if types[0] == "integer" else 0.0
        option = options[0]
        return FieldSpec(
            kind=FieldKind.INTEGER if types[0] == "integer" else FieldKind.NUMBER,
            minimum=_bound(option, "minimum", "exclusiveMinimum", step),
            maximum=_bound(option, "maximum", "exclusiveMaximum", step),
            **common,
        )
    if len(options) == 1 and types[0] == "boolean":
        return FieldSpec(kind=FieldKind.BOOLEAN, choices=("true", "false"), **common)
    if "string" in types:
        return FieldSpec(kind=FieldKind.TEXT, accepts_json=len(options) > 1, **common)
    return FieldSpec(kind=FieldKind.JSON, **common)


def fields_of(params_schema: Mapping[str, Any]) -> list[FieldSpec]:
    """The form fields of an action, in the schema's order."""
    properties = params_schema.get("properties")
    if not isinstance(properties, dict):
        return []
    required = set(params_schema.get("required") or [])
    return [
        _field(name, schema if isinstance(schema, dict) else {}, dict(params_schema), name in required)
        for name, schema in properties.items()
    ]


def text_of_value(spec: FieldSpec, value: Any) -> str:
    """What the field shows for ``value`` (``""`` when the param is absent)."""
    if value is ABSENT:
        return ""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def value_from_text(spec: FieldSpec, text: str) -> Any:
    """The JSON value a field's text stands for, or :data:`ABSENT` when it is empty.

    Text that does not fit the field's type is kept as a string, so the API names
    the problem at this field.
    """
    raw = text.strip()
    if not raw:
        return ABSENT
    if spec.nullable and raw == "null":
        return None
    if spec.kind is FieldKind.INTEGER:
        try:
            return int(raw)
        except ValueError:
            return raw
    if spec.kind is FieldKind.NUMBER:
        try:
            number = float(raw)
        except ValueError:
            return raw
        if not math.isfinite(number):
            return raw
        return int(number) if number.is_integer() and "." not in raw and "e" not in raw.lower() else number
    if spec.kind is FieldKind.BOOLEAN:
        return {"true": True, "false": False}.get(raw.lower(), raw)
    if spec.kind is FieldKind.CHOICE:
        return raw if raw in spec.choices and not _is_json_scalar(raw) else loose_value(raw)
    if spec.kind is FieldKind.JSON or (spec.accepts_json and raw[0] in "[{"):
        try:
            return json.loads(raw)
        except ValueError:
            return raw
    return text


def _is_json_scalar(text: str) -> bool:
    try:
        return not isinstance(json.loads(text), str)
    except ValueError:
        return False


def loose_value(text: str) -> Any:
    """A condition's value: JSON when the text is JSON (``50``, ``true``, ``["a"]``), else the text."""
    raw = text.strip()
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return text


def text_of_loose(value: Any) -> str:
    """The text :func:`loose_value` reads back as ``value``."""
    if value is None:
        return ""
    if isinstance(value, str) and not isinstance(loose_value(value), str):
        return json.dumps(value)
    return value if isinstance(value, str) else json.dumps(value)


def path_from_text(text: str) -> list[str | int] | None:
    """``nsfw`` -> ``["nsfw"]``; ``x.0.y`` -> ``["x", 0, "y"]``; a JSON array as given; empty -> ``None``."""
    raw = text.strip()
    if not raw:
        return None
    if raw.startswith("["):
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
        if isinstance(parsed, list):
            return parsed
    return [int(part) if part.isdigit() else part for part in raw.split(".")]


def text_of_path(path: Any) -> str:
    """The text :func:`path_from_text` reads back as ``path``."""
    if not path:
        return ""
    if isinstance(path, list) and all(
        (isinstance(p, str) and p and "." not in p and not p.isdigit() and not p.startswith("["))
        or (isinstance(p, int) and not isinstance(p, bool) and p >= 0)
        for p in path
    ):
        return ".".join(str(p) for p in path)
    return json.dumps(path)
