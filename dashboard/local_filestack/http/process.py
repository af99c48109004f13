"""The ``process`` endpoint: URL ingestion with a task list, as the SDKs send it.

* ``POST /process/process``  -- process.filestackapi.com (filestack-js ``storeURL``)
* ``POST /cdn/process``      -- cdn.filestackcontent.com (filestack-python ``upload_url``,
  filestack-go ``UploadURL``)

The body is JSON::

    {"apikey" | "apiKey": K,
     "sources": [URL | {"source": URL, "headers": {...}}],
     "tasks": [{"name" | "Name": "resize", "params" | "Params": {...}}, ...,
               {"name": "store", "params": {...}},
               {"name": "security", "params": {"policy": P, "signature": S}}],
     "upload_tags": {...}}

It is the same request as the CDN path ``K/security=.../TASKS/store/SOURCE`` and is
answered by the CDN's own code (:meth:`~dashboard.local_filestack.http.cdn.Cdn.answer`):
sources are fetched through the SSRF guard (``FETCH_ALLOWED_HOSTS`` applies), the tasks
run, and the stored file's JSON comes back with the ``upload_tags``. Headers a source
asks to be sent are not forwarded: the guard fetches with its own.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from dashboard.filestack_protocol.grammar import PARAM_ALIASES, GrammarError, ParsedPath, Task, Value
from dashboard.local_filestack.http import auth
from dashboard.local_filestack.http.cdn import Cdn
from dashboard.local_filestack.http.errors import ServiceError, first_problem
from dashboard.local_filestack.ingest.receive import read_body

PATH = "/process"
_MAX_BODY = 1024 * 1024
_MAX_UPLOAD_TAGS = 10


class ProcessTask(BaseModel):
    """One task of the list: ``{"name", "params"}`` (Go writes ``Name``/``Params``)."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    name: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _capitalised(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {str(key).lower(): item for key, item in value.items()}
        return value

    def task(self) -> Task:
        """The grammar task, short parameter names expanded, ``null`` parameters dropped."""
        aliases = PARAM_ALIASES.get(self.name, {})
        params: dict[str, Value] = {}
        for key, value in self.params.items():
            if value is None:
                continue
            if isinstance(value, dict):
                raise ServiceError(
                    400, f"process: task '{self.name}': parameter '{key}' must not be an object"
                )
            params[aliases.get(key, key)] = value
        return Task(self.name, params)


class ProcessRequest(BaseModel):
    """The body of ``POST /process``."""

    model_config = ConfigDict(extra="ignore")

    apikey: str = Field(min_length=1)
    sources: list[str] = Field(min_length=1, max_length=1)
    tasks: list[ProcessTask] = Field(default_factory=list)
    upload_tags: dict[str, str] | None = None

    @model_validator(mode="before")
    @classmethod
    def _camel_case_key(cls, value: Any) -> Any:
        if isinstance(value, dict) and "apikey" not in value and "apiKey" in value:
            return {**value, "apikey": value["apiKey"]}
        return value

    @field_validator("sources", mode="before")
    @classmethod
    def _source_objects(cls, value: Any) -> Any:
        """``{"source": URL, "headers": {...}}`` (filestack-js) as its URL."""
        if isinstance(value, list):
            return [item.get("source") if isinstance(item, dict) else item for item in value]
        return value

    @field_validator("upload_tags")
    @classmethod
    def _few_tags(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        if value is not None and len(value) > _MAX_UPLOAD_TAGS:
            raise ValueError(f"at most {_MAX_UPLOAD_TAGS} upload tags")
        return value


class ProcessEndpoint:
    """``POST /process`` answered by the CDN."""

    def __init__(self, cdn: Cdn) -> None:
        self.cdn = cdn

    async def process(self, request: Request) -> Response:
        """Run the task list on the source and answer like the CDN's ``store`` task."""
        body = await read_body(request, _MAX_BODY)
        try:
            order = ProcessRequest.model_validate(json.loads(body or b"{}"))
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
            raise ServiceError(400, "Parameters are invalid: body is not JSON") from err
        except ValidationError as err:
            raise ServiceError(400, f"Parameters are invalid: {first_problem(err)}") from err
        self.cdn.gate.check_api_key(order.apikey, required=True)
        try:
            tasks = [task.task() for task in order.tasks]
        except GrammarError as err:
            raise ServiceError(400, str(err)) from err
        if not any(task.name == "store" for task in tasks):
            tasks.append(Task("store", {}))  # the endpoint always stores its result
        parsed = ParsedPath(order.apikey, tuple(tasks), tuple(order.sources))
        extra = {"upload_tags": order.upload_tags} if order.upload_tags is not None else None
        return await self.cdn.answer(request, parsed, auth.from_tasks(parsed), store_extra=extra)

    def routes(self) -> list[BaseRoute]:
        """``POST /process`` (relative to the mount: the process host's root, or the CDN's)."""
        return [Route(PATH, self.process, methods=["POST"])]
