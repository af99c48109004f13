"""cdn.filestackcontent.com: delivery, processing and workflows, under ``/cdn``.

``GET|HEAD|POST /cdn/{processing path}`` where the path is Filestack's
``[APIKEY/][TASK/...]SOURCE`` grammar, kept verbatim (external URL sources keep
their query string). The forms answered:

* ``/cdn/HANDLE``                         the file itself (call ``read``)
* ``/cdn/[security=.../]HANDLE/metadata`` its metadata (call ``stat``)
* ``/cdn/TASKS.../HANDLE``                a transformation (call ``convert``), cached
* ``/cdn/APIKEY/TASKS.../https://url``    the same on a fetched URL
* ``.../store[=opts]/SOURCE``             the result stored as a new file (JSON answer)
* ``.../run_workflow=id:.../SOURCE``      and ``.../workflow_status=job_id:...``: the workflow gateway
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.filestack_protocol.grammar import ParsedPath, Task, is_handle, parse_path
from dashboard.filestack_protocol.security import Policy
from dashboard.local_filestack.http import auth
from dashboard.local_filestack.http.delivery import IMMUTABLE, REVALIDATE, bytes_response
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.http.host import HostParts
from dashboard.local_filestack.http.rendering import Renderer
from dashboard.local_filestack.http.urls import CDN_PREFIX, file_url
from dashboard.local_filestack.imaging import validate_tasks
from dashboard.local_filestack.ingest.metadata import build_metadata, requested_fields, store_result
from dashboard.local_filestack.ingest.netguard import FetchOptions, url_filename
from dashboard.local_filestack.ingest.receive import StoreOptions, describe
from dashboard.local_filestack.storage.cache import CachedResult, TransformCache, cache_key
from dashboard.local_filestack.storage.files import FileNotFound, StoredFile, rendition_filename

PREFIX = CDN_PREFIX
#: Workflow answers are about a moment; they are never cached.
NO_STORE = {"Cache-Control": "no-store"}
METADATA_SEGMENT = "metadata"
_URL_SCHEMES = ("http://", "https://")


def processing_path(request: Request) -> str:
    """The path after ``/cdn``, percent-decoded from the raw path, without a leading slash."""
    raw: bytes | None = request.scope.get("raw_path")
    root: str = request.scope.get("root_path", "")
    if raw:
        path = unquote(raw.decode("utf-8", errors="replace"))
        if path.startswith(root):
            return path[len(root):].lstrip("/")
    return str(request.path_params.get("path", "")).lstrip("/")


def split_metadata(path: str) -> tuple[str, bool]:
    """``(path without '/metadata', True)`` for ``.../HANDLE/metadata``."""
    head, _, last = path.rpartition("/")
    if last == METADATA_SEGMENT and is_handle(head.rpartition("/")[2]):
        return head, True
    return path, False


class WorkflowGateway(Protocol):
    """What the CDN hands ``run_workflow`` and ``workflow_status`` to, with plain values.

    Each returns the JSON body Filestack answers with; a missing workflow, job or file,
    a full queue and a bad source are raised as their domain errors.
    """

    async def run_workflow(self, workflow_id: str, source: str, *, base_url: str) -> dict[str, Any]:
        """Start a job of the workflow on a handle or a URL (answer: status ``Started``)."""
        ...

    async def workflow_status(self, job_id: str) -> dict[str, Any]:
        """Report a job."""
        ...


def task_param(parsed: ParsedPath, task: str, param: str) -> str:
    """A required string parameter of a task of the path (``run_workflow=id:...``)."""
    found = parsed.task(task)
    value = found.params.get(param) if found is not None else None
    if not isinstance(value, str) or not value:
        raise ServiceError(400, f"{task} needs {param}:<value>")
    return value


@dataclass(frozen=True)
class Source:
    """What a processing path reads: a stored handle or an external URL."""

    text: str
    handle: str | None = None
    url: str | None = None
    #: An API key written before a bare handle (``/cdn/APIKEY/HANDLE``).
    apikey: str | None = None


def resolve_source(parsed: ParsedPath, query: str) -> Source:
    """The single source of a path; URL sources get the request's query string back."""
    if len(parsed.sources) != 1:
        raise ServiceError(400, "only one source per request is supported")
    text = parsed.sources[0]
    if text.startswith(_URL_SCHEMES):
        if not parsed.apikey:
            raise ServiceError(400, "an api key must come before a url source")
        url = f"{text}?{query}" if query else text
        return Source(text=url, url=url)
    if text.startswith("src://"):
        raise ServiceError(400, "storage aliases are not configured")
    if "://" in text or text.startswith("["):
        raise ServiceError(400, f"unsupported source '{text.split('://', 1)[0]}://'")
    first, _, rest = text.partition("/")
    if rest and "=" in first:
        raise ServiceError(400, f"unknown task '{first.partition('=')[0]}'")
    if rest and is_handle(rest) and parsed.apikey is None:
        return Source(text=rest, handle=rest, apikey=first)
    if not is_handle(text):
        raise FileNotFound(text)
    return Source(text=text, handle=text)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class Loaded:
    """Source bytes (read lazily for handles) and what is known about them."""

    source: Source
    sha256: str
    mimetype: str
    filename: str | None
    width: int | None = None
    height: int | None = None
    stored: StoredFile | None = None
    data: bytes | None = None


class Cdn:
    """Endpoints of the CDN host, with the parts they use."""

    def __init__(
        self,
        host: HostParts,
        *,
        cache: TransformCache,
        renderer: Renderer,
        fetching: FetchOptions,
        workflows: WorkflowGateway,
    ) -> None:
        self.host = host
        self.cache = cache
        self.renderer = renderer
        self.fetching = fetching
        self.workflows = workflows

    def _authorize(self, creds: auth.Credentials, call: str, source: Source | None) -> Policy | None:
        return self.host.gate.authorize(
            creds,
            call=call,
            handle=source.handle if source else None,
            url=source.url if source else None,
        )

    async def dispatch(self, request: Request) -> Response:
        """Parse the processing path and answer it."""
        path, wants_metadata = split_metadata(processing_path(request))
        parsed = parse_path(path)
        if parsed.apikey is not None:
            self.host.gate.check_api_key(parsed.apikey, required=False)
        creds = auth.from_tasks(parsed)
        names = {task.name for task in parsed.tasks}
        if "workflow_status" in names or "run_workflow" in names:
            return await self._workflow(request, parsed, creds, "workflow_status" in names)
        query = request.scope.get("query_string", b"").decode("latin-1")
        source = resolve_source(parsed, query)
        if source.apikey is not None:
            self.host.gate.check_api_key(source.apikey, required=False)
        if not creds.has_policy and source.handle is not None:
            creds = auth.from_query(request)
        if wants_metadata:
            return await self._metadata(request, parsed, source, creds)
        return await self._process(request, parsed, source, creds)

    # -- workflows ---------------------------------------------------------

    async def _workflow(
        self, request: Request, parsed: ParsedPath, creds: auth.Credentials, status: bool
    ) -> Response:
        if status:
            self._authorize(creds, "runWorkflow", None)
            body = await self.workflows.workflow_status(task_param(parsed, "workflow_status", "job_id"))
            return JSONResponse(body, headers=NO_STORE)
        query = request.scope.get("query_string", b"").decode("latin-1")
        source = resolve_source(parsed, query)
        self._authorize(creds, "runWorkflow", source)
        body = await self.workflows.run_workflow(
            task_param(parsed, "run_workflow", "id"),
            source.handle or source.url or source.text,
            base_url=self.host.base_url(request, PREFIX),
        )
        return JSONResponse(body, headers=NO_STORE)

    # -- metadata ----------------------------------------------------------

    async def _metadata(
        self, request: Request, parsed: ParsedPath, source: Source, creds: auth.Credentials
    ) -> Response:
        if parsed.image_tasks:
            raise ServiceError(400, "metadata cannot follow processing tasks")
        self._authorize(creds, "stat", source)
        stored = await asyncio.to_thread(self.host.storage.get, source.handle or "")
        fields = requested_fields(request.query_params)
        return JSONResponse(await asyncio.to_thread(build_metadata, stored, fields, self.host.storage))

    # -- delivery and processing -------------------------------------------

    async def _load(self, source: Source) -> Loaded:
        if source.handle is not None:
            stored = await asyncio.to_thread(self.host.storage.get, source.handle)
            return Loaded(
                source=source, sha256=stored.sha256, mimetype=stored.mimetype, filename=stored.filename,
                width=stored.width, height=stored.height, stored=stored,
            )
        data, _declared = await self.fetching.fetch(source.url or "")
        described = await describe(data, self.host.limits)
        name = url_filename(source.url or "")
        return Loaded(
            source=source, sha256=await asyncio.to_thread(_sha256, data), mimetype=described.mimetype,
            filename=name, width=described.width, height=described.height, data=data,
        )

    async def _bytes(self, loaded: Loaded) -> bytes:
        if loaded.data is not None:
            return loaded.data
        data, digest = await asyncio.to_thread(self._read_hashed, loaded.source.handle or "")
        if digest != loaded.sha256:
            raise ServiceError(503, "the file changed while it was being read; retry")
        return data

    def _read_hashed(self, handle: str) -> tuple[bytes, str]:
        """The stored bytes and their sha256, together off the event loop (hashing 25 MB takes ~40 ms)."""
        data = self.host.storage.read(handle)
        return data, hashlib.sha256(data).hexdigest()

    async def _render(self, loaded: Loaded, tasks: tuple[Task, ...]) -> CachedResult:
        async def compute() -> tuple[bytes, str, int | None, int | None]:
            rendered = await self.renderer.render(await self._bytes(loaded), tasks)
            return rendered.data, rendered.mimetype, rendered.width, rendered.height

        key = cache_key(loaded.source.text, tasks, loaded.sha256)
        return await self.cache.get_or_compute(loaded.source.handle or loaded.source.text, key, compute)

    async def _process(
        self, request: Request, parsed: ParsedPath, source: Source, creds: auth.Credentials
    ) -> Response:
        store = parsed.task("store")
        image_tasks = tuple(t for t in parsed.image_tasks if t.name != "store")
        if store is not None and parsed.image_tasks[-1] is not store:
            raise ServiceError(400, "store must be the last processing task")
        if request.method == "POST" and store is None:
            raise ServiceError(405, "POST is only accepted with a store task")
        self._authorize(creds, "convert" if image_tasks else "read", source)
        if store is not None:
            self._authorize(creds, "store", source)
        if image_tasks:
            validate_tasks(image_tasks)
        loaded = await self._load(source)
        if store is not None:
            return await self._store(request, loaded, image_tasks, store)
        if not image_tasks:
            return bytes_response(
                request, await self._bytes(loaded), loaded.mimetype,
                etag=loaded.sha256, cache_control=REVALIDATE, filename=loaded.filename,
            )
        result = await self._render(loaded, image_tasks)
        return bytes_response(
            request, result.data, result.mimetype,
            etag=result.etag, cache_control=IMMUTABLE if source.handle else REVALIDATE,
        )

    async def _store(
        self, request: Request, loaded: Loaded, image_tasks: tuple[Task, ...], store: Task
    ) -> Response:
        try:
            options = StoreOptions.model_validate({k: v for k, v in store.params.items()})
        except ValidationError as err:
            message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ServiceError(400, f"store: {message}") from err
        if image_tasks:
            result = await self._render(loaded, image_tasks)
            data, mimetype, width, height = result.data, result.mimetype, result.width, result.height
            filename = rendition_filename(loaded.filename, mimetype)
        else:
            data = await self._bytes(loaded)
            mimetype, width, height = loaded.mimetype, loaded.width, loaded.height
            filename = loaded.filename or rendition_filename(None, mimetype)
        new = options.new_file(data, filename=filename, mimetype=mimetype, width=width, height=height)
        stored = await asyncio.to_thread(self.host.storage.put, new)
        base = self.host.base_url(request, PREFIX)
        return JSONResponse(store_result(stored, file_url(base, stored.handle)))


    def routes(self) -> list[BaseRoute]:
        """The CDN host's one route (relative to ``/cdn``)."""
        return [Route("/{path:path}", self.dispatch, methods=["GET", "HEAD", "POST"])]
