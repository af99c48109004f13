"""Data models of Filestack Workflows: workflow definitions and job records.

A workflow definition is what ``POST /workflows`` receives::

    {"name": "deleteNSFW",
     "tasks": [{"action": "delete",
                "requires": [{"task": "sfw",
                              "condition": {"type": "gt", "value": 50,
                                            "path": ["nsfw"]}}]}]}

These models check the *shape* of a definition only. Whether actions exist,
whether params fit an action's contract and whether the task graph is acyclic
is checked by :func:`dashboard.local_filestack.workflows.model.dag.validate_workflow`.

The job record models (:class:`TaskState`, :class:`TaskOutcome`) describe how
far each task of a running job has come; the scheduler reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
    field_validator,
    model_validator,
)

ConditionType = Literal["gt", "lt", "equals", "includes"]
"""The comparisons a requirement's condition can make."""


PathElement = str | int
"""A step of a condition path: a string is an object key, an int an array index."""

_HTTP_URL: TypeAdapter[AnyHttpUrl] = TypeAdapter(AnyHttpUrl)
_SCALARS = (str, int, float, bool, type(None))


class WorkflowValidationError(ValueError):
    """A workflow definition is invalid; the message names the culprit."""


def is_number(value: object) -> bool:
    """Tell whether ``value`` is a JSON number (booleans are not numbers)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Condition(BaseModel):
    """A test on the result of a required task.

    ``path`` walks the required task's ``data`` object (see
    :mod:`dashboard.local_filestack.workflows.model.conditions`): strings are object
    keys, integers index arrays. Without a path the whole ``data`` object is
    compared.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={  # what _check_value checks, in the schema
            "if": {"properties": {"type": {"enum": ["gt", "lt"]}}, "required": ["type"]},
            "then": {"properties": {"value": {"type": "number"}}, "required": ["value"]},
        },
    )

    type: ConditionType
    value: Any = None
    path: list[PathElement] | None = None

    @field_validator("path", mode="before")
    @classmethod
    def _check_path(cls, path: object) -> object:
        """Accept only lists whose elements are strings or (non-bool) integers."""
        if path is None:
            return None
        if not isinstance(path, (list, tuple)):
            raise ValueError(f"path must be a list of strings and integers, got {path!r}")
        for position, element in enumerate(path):
            if isinstance(element, bool) or not isinstance(element, (str, int)):
                raise ValueError(f"path element {position} ({element!r}) is neither a string nor an integer")
        return list(path)

    @model_validator(mode="after")
    def _check_value(self) -> Condition:
        """Comparisons gt and lt need a numeric value to compare with."""
        if self.type in ("gt", "lt") and not is_number(self.value):
            raise ValueError(f"condition {self.type} needs a numeric value, got {self.value!r}")
        return self


class Requirement(BaseModel):
    """A dependency of a task on another task (or an implicit built-in action).

    Without a condition the requirement is met once the required task is done.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str = Field(min_length=1)
    condition: Condition | None = None


class TaskInput(BaseModel):
    """Where a task reads its file: ``{"task": "avatar"}`` is the file task ``avatar`` produced.

    A task without an input reads the job's source file.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    task: str = Field(min_length=1)


class Task(BaseModel):
    """One step of a workflow: an action, its params, its requirements and its input.

    ``id`` is optional and defaults to the action name; see :attr:`task_id`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str | None = Field(default=None, min_length=1)
    action: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)
    requires: list[Requirement] = Field(default_factory=list)
    input: TaskInput | None = None

    @property
    def task_id(self) -> str:
        """The id other tasks use to require this one: ``id``, else the action."""
        return self.id if self.id is not None else self.action


TriggerEvent = Literal["upload"]
"""What can start a workflow by itself: a file arriving (stored through any upload path)."""

FILE_FACTS = ("mimetype", "size", "width", "height", "filename", "path")
"""What a trigger's constraints can test of the new file (the first element of their path)."""


def _constraints_name_facts(schema: dict[str, Any]) -> None:
    """What ``Trigger._check_paths`` checks, in the schema: each constraint's path starts with a fact."""
    facts = {"type": "array", "minItems": 1, "prefixItems": [{"enum": list(FILE_FACTS)}]}
    schema["items"] = {"allOf": [schema["items"], {"required": ["path"], "properties": {"path": facts}}]}


class Trigger(BaseModel):
    """An event that starts the workflow on its own, when every constraint holds on the file.

    Constraints use the grammar of requirement conditions; their ``path`` starts with
    one of :data:`FILE_FACTS`: ``{"type": "gt", "value": 1000, "path": ["size"]}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    event: TriggerEvent
    constraints: list[Condition] = Field(default_factory=list, json_schema_extra=_constraints_name_facts)

    @field_validator("constraints")
    @classmethod
    def _check_paths(cls, constraints: list[Condition]) -> list[Condition]:
        """A constraint names the file fact it tests."""
        known = ", ".join(FILE_FACTS)
        for position, constraint in enumerate(constraints):
            if not constraint.path:
                raise ValueError(f"constraint {position} needs a path naming one of: {known}")
            if constraint.path[0] not in FILE_FACTS:
                raise ValueError(
                    f"constraint {position} tests {constraint.path[0]!r}, which is not a fact of "
                    f"an uploaded file; use one of: {known}"
                )
        return constraints


class Workflow(BaseModel):
    """A workflow definition.

    ``id`` is assigned by the server. Unknown top-level keys are ignored so that
    a definition read back from the API can be sent again unchanged.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    # The API ignores an id sent in a body (so a workflow read back can be sent again): any value.
    id: Annotated[UUID | None, WithJsonSchema({"description": "ignored: the server assigns the id"})] = None
    # The validators below give the messages; json_schema_extra puts the same rules in the schema.
    name: str = Field(json_schema_extra={"pattern": r"\S"})
    tasks: list[Task] = Field(min_length=1)
    webhook: str | None = Field(default=None, json_schema_extra={"format": "uri"})
    triggers: list[Trigger] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        """A workflow needs a name that is not blank."""
        if not name.strip():
            raise ValueError("name must not be empty")
        return name

    @field_validator("webhook")
    @classmethod
    def _check_webhook(cls, webhook: str | None) -> str | None:
        """A webhook must be an http(s) URL; the string is kept as given."""
        if webhook is None:
            return None
        try:
            _HTTP_URL.validate_python(webhook)
        except ValidationError as exc:
            raise ValueError(f"webhook must be an http or https URL, got {webhook!r}") from exc
        return webhook


class TaskState(str, Enum):
    """Where a task of a job stands."""

    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"


class TaskOutcome(BaseModel):
    """The job record of one task.

    ``result`` is recorded as ``{"data": {...}}`` once the task is done;
    ``reason`` explains a skip or a failure.
    """

    model_config = ConfigDict(extra="forbid")

    state: TaskState = TaskState.PENDING
    result: dict[str, Any] | None = None
    reason: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None


def describe_validation_error(exc: ValidationError, raw: object = None) -> str:
    """Render a pydantic error as one line per problem, naming where it is.

    Locations inside ``tasks`` are named after the task (its id or action, as
    found in ``raw``) as well as its position, e.g.
    ``task 'delete' (tasks[0]): requires[0].condition.type: ...``.
    """
    return "; ".join(_describe_error(error, raw) for error in exc.errors())


def parse_workflow(raw: Mapping[str, Any]) -> Workflow:
    """Build a :class:`Workflow` from JSON data, raising :class:`WorkflowValidationError`."""
    if not isinstance(raw, Mapping):
        raise WorkflowValidationError(f"a workflow must be a JSON object, got {type(raw).__name__}")
    try:
        return Workflow.model_validate(dict(raw))
    except ValidationError as exc:
        raise WorkflowValidationError(f"invalid workflow: {describe_validation_error(exc, raw)}") from exc


def _describe_error(error: Mapping[str, Any], raw: object) -> str:
    """Render one pydantic error entry with its location."""
    message = _error_message(error)
    location = tuple(error.get("loc", ()))
    where = _describe_location(location, raw)
    return f"{where}: {message}" if where else message


def _error_message(error: Mapping[str, Any]) -> str:
    """The message of one error, with the offending input when it is short."""
    context = error.get("ctx") or {}
    if error.get("type") == "value_error" and "error" in context:
        return str(context["error"])
    message = str(error.get("msg", "invalid value"))
    value = error.get("input")
    if error.get("type") != "missing" and isinstance(value, _SCALARS):
        message = f"{message} (got {value!r})"
    return message


def _describe_location(location: tuple[Any, ...], raw: object) -> str:
    """Name a location, using the task's id or action for paths under ``tasks``."""
    if len(location) >= 2 and location[0] == "tasks" and isinstance(location[1], int):
        index = location[1]
        rest = _join_location(location[2:])
        head = f"task {_task_label(raw, index)} (tasks[{index}])"
        return f"{head}: {rest}" if rest else head
    return _join_location(location)


def _join_location(location: tuple[Any, ...]) -> str:
    """Render ``('requires', 0, 'task')`` as ``requires[0].task``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _task_label(raw: object, index: int) -> str:
    """Quote the id (or action) of the raw task at ``index``, if it has one."""
    tasks = raw.get("tasks") if isinstance(raw, Mapping) else None
    if isinstance(tasks, list) and 0 <= index < len(tasks) and isinstance(tasks[index], Mapping):
        label = tasks[index].get("id") or tasks[index].get("action")
        if isinstance(label, str) and label:
            return repr(label)
    return f"#{index + 1}"
