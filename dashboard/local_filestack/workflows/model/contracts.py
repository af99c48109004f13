"""Action contracts: what each workflow action accepts and what it produces.

Every action has a params model (pydantic, ``extra="forbid"``) that a task's
``params`` must fit, and a JSON-schema-like description of the ``data`` object
it records as its result. :data:`ACTIONS` is the registry; :func:`register`
adds drop-in actions; :func:`contracts_json` renders it for ``GET /tasks``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ACTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


class ContractError(ValueError):
    """An action contract is malformed or clashes with a registered one."""


@dataclass(frozen=True)
class ActionContract:
    """What an action accepts (``params_model``) and records (``output``).

    ``cpu_bound`` tells an engine to run the action off the event loop;
    ``produces_file`` that its data names a stored file (``handle``, ``url``), which
    other tasks may take as their input (piping).
    """

    name: str
    description: str
    params_model: type[BaseModel]
    output: dict[str, Any]
    cpu_bound: bool = False
    produces_file: bool = False


class NoParams(BaseModel):
    """Params of actions that take none: only ``{}`` fits."""

    model_config = ConfigDict(extra="forbid")


class ProcessingStep(BaseModel):
    """One Processing API task given as an object, e.g. ``{"name": "flip"}``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class ProcessParams(BaseModel):
    """Params of ``process``: a chain of Processing API tasks.

    Either a CDN-grammar string (``"resize=width:400/rotate=deg:exif"``) or a
    list of steps; the grammar itself is parsed by the processing engine.
    """

    model_config = ConfigDict(extra="forbid")

    tasks: str | list[ProcessingStep]

    @field_validator("tasks")
    @classmethod
    def _not_empty(cls, tasks: str | list[ProcessingStep]) -> str | list[ProcessingStep]:
        """An empty chain processes nothing."""
        if isinstance(tasks, str) and not tasks.strip():
            raise ValueError("tasks must not be an empty string")
        if isinstance(tasks, list) and not tasks:
            raise ValueError("tasks must not be an empty list")
        return tasks


class StoreParams(BaseModel):
    """Params of ``store``: where and how to keep the file."""

    model_config = ConfigDict(extra="forbid")

    location: Literal["s3", "gcs", "azure", "dropbox", "rackspace"] = "s3"
    path: str | None = None
    container: str | None = None
    filename: str | None = None
    access: Literal["private", "public"] = "private"

    @field_validator("location", mode="before")
    @classmethod
    def _lower_location(cls, location: object) -> object:
        """Locations are case-insensitive (``S3`` is ``s3``)."""
        return location.lower() if isinstance(location, str) else location


class QuarantineParams(BaseModel):
    """Params of ``quarantine``: the reason shown to whoever asks for the file, and to admins."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(default="held by a workflow", min_length=1, max_length=500)


def _object(properties: dict[str, Any], description: str) -> dict[str, Any]:
    """A JSON-schema object description."""
    return {"type": "object", "description": description, "properties": properties}


_NULLABLE_INT = {"type": ["integer", "null"]}

STORED_FILE_OUTPUT = _object(
    {
        "url": {"type": "string", "description": "CDN URL of the stored file"},
        "handle": {"type": "string"},
        "filename": {"type": "string"},
        "size": {"type": "integer", "description": "bytes"},
        "mimetype": {"type": "string"},
        "key": {"type": "string", "description": "storage key (path) of the file"},
        "container": {"type": ["string", "null"]},
        "width": _NULLABLE_INT,
        "height": _NULLABLE_INT,
    },
    "the stored file",
)

PROCESSED_FILE_OUTPUT = _object(
    {
        "url": {"type": "string", "description": "URL of the processed result"},
        "mimetype": {"type": "string"},
        "size": {"type": "integer", "description": "bytes"},
        "width": _NULLABLE_INT,
        "height": _NULLABLE_INT,
    },
    "the processed (not stored) result",
)

_BUILTIN: tuple[ActionContract, ...] = (
    ActionContract(
        name="process",
        description="Run a chain of Processing API tasks on the file.",
        params_model=ProcessParams,
        output={
            "description": "stored-file data when the chain ends with store, else the processed result",
            "oneOf": [STORED_FILE_OUTPUT, PROCESSED_FILE_OUTPUT],
        },
        cpu_bound=True,
        produces_file=True,
    ),
    ActionContract(
        name="store",
        description="Store the file in a storage location.",
        params_model=StoreParams,
        output=STORED_FILE_OUTPUT,
        produces_file=True,
    ),
    ActionContract(
        name="delete",
        description="Delete the file.",
        params_model=NoParams,
        output=_object(
            {"deleted": {"type": "boolean"}, "handle": {"type": "string"}},
            "whether the file was deleted",
        ),
    ),
    ActionContract(
        name="sfw",
        description="Tell whether an image is safe for work.",
        params_model=NoParams,
        output=_object(
            {
                "sfw": {"type": "boolean"},
                "nsfw": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 100,
                    "description": "likelihood (percent) that the image is not safe for work",
                },
            },
            "safe-for-work verdict",
        ),
        cpu_bound=True,
    ),
    ActionContract(
        name="ocr",
        description="Read the text in an image.",
        params_model=NoParams,
        output=_object(
            {
                "text": {"type": "string"},
                "lines": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "recognised lines with their text and bounds",
                },
            },
            "recognised text",
        ),
        cpu_bound=True,
    ),
    ActionContract(
        name="tags",
        description="Label what an image shows.",
        params_model=NoParams,
        output=_object(
            {
                "tags": _object(
                    {
                        "auto": {
                            "type": "object",
                            "additionalProperties": {"type": "number"},
                            "description": "label -> confidence",
                        },
                        "user": {"type": "null"},
                    },
                    "labels",
                ),
            },
            "image labels",
        ),
        cpu_bound=True,
    ),
    ActionContract(
        name="copyright",
        description="Look for licenses and sources of an image.",
        params_model=NoParams,
        output=_object(
            {
                "licenses": {"type": "array", "items": {}},
                "sources": {"type": "array", "items": {}},
            },
            "copyright findings",
        ),
    ),
)

_ROADMAP: tuple[ActionContract, ...] = (
    ActionContract(
        name="virus_scan",
        description=(
            "Scan the file for viruses with ClamAV. A scan that cannot run (no scanner, a timeout, "
            "a file over its limits) fails the task with the reason; it never reports clean."
        ),
        params_model=NoParams,
        output=_object(
            {
                "infected": {"type": "boolean"},
                "viruses": {
                    "type": "array",
                    "items": {"type": "string"},
                    "description": "names of the signatures that matched; empty when clean",
                },
                "infections_list": {"type": "array", "items": {"type": "string"}, "description": "the same"},
                "signatures": {
                    "type": "string",
                    "description": "the signature set that answered (engine/database version/date)",
                },
            },
            "virus scan verdict",
        ),
    ),
    ActionContract(
        name="quarantine",
        description=(
            "Hold the file out of public reach: the CDN and File API answer 403 naming quarantine "
            "until an admin releases it; its bytes are kept."
        ),
        params_model=QuarantineParams,
        output=_object(
            {
                "quarantined": {"type": "boolean"},
                "handle": {"type": "string"},
                "reason": {"type": "string"},
            },
            "the hold",
        ),
    ),
)

ACTIONS: dict[str, ActionContract] = {}
"""The registry of actions, by name."""


def register(contract: ActionContract, *, replace: bool = False) -> ActionContract:
    """Add ``contract`` to :data:`ACTIONS`; ``replace`` allows overriding a name."""
    _check_contract(contract)
    if contract.name in ACTIONS and not replace:
        raise ContractError(f"action {contract.name!r} is already registered")
    ACTIONS[contract.name] = contract
    return contract


def contracts_json() -> list[dict[str, Any]]:
    """Render every registered action for ``GET /tasks``."""
    return [contract_json(contract) for contract in ACTIONS.values()]


def contract_json(contract: ActionContract) -> dict[str, Any]:
    """Render one action: name, description, params JSON schema and output."""
    return {
        "name": contract.name,
        "description": contract.description,
        "params": contract.params_model.model_json_schema(),
        "output": contract.output,
        "producesFile": contract.produces_file,
    }


def _check_contract(contract: ActionContract) -> None:
    """Reject contracts that could not be used by workflows."""
    if not isinstance(contract, ActionContract):
        raise ContractError(f"expected an ActionContract, got {type(contract).__name__}")
    if not _ACTION_NAME.match(contract.name):
        raise ContractError(
            f"action name {contract.name!r} must start with a letter and hold only "
            "letters, digits, '_' and '-'"
        )
    if not (isinstance(contract.params_model, type) and issubclass(contract.params_model, BaseModel)):
        raise ContractError(f"action {contract.name!r}: params_model must be a pydantic model class")
    if contract.params_model.model_config.get("extra") != "forbid":
        raise ContractError(f"action {contract.name!r}: params_model must set extra='forbid'")
    if not isinstance(contract.output, dict):
        raise ContractError(f"action {contract.name!r}: output must be a dict")


for _contract in (*_BUILTIN, *_ROADMAP):
    register(_contract)
