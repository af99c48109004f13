"""cdn.filestackcontent.com: delivery, processing and workflows, under ``/cdn``.

``GET|HEAD|POST /cdn/{processing path}`` where the path is Filestack's
``[APIKEY/][TASK/...]SOURCE`` grammar, kept verbatim (external URL sources keep
their query string). The forms answered:

* ``/cdn/HANDLE``                          the file itself (call ``read``; ``?dl=true`` downloads it)
* ``/cdn/[security=.../]HANDLE/metadata``  its metadata (call ``stat``; ``exif`` for ``?exif=true``)
* ``/cdn/metadata/HANDLE``                 the same, as a task
* ``/cdn/TASKS.../HANDLE``                 a transformation (call ``convert``), cached
* ``/cdn/APIKEY/TASKS.../SOURCE``          the same on a URL (plain, quoted or ``b64://``) or a
                                           ``src://ALIAS/PATH`` storage alias
* ``/cdn/APIKEY/b64/<b64 JSON>/SOURCE``    the chain written as base64 JSON
* ``.../tags|sfw|ocr|copyright/SOURCE``    an analysis of the (transformed) source, as JSON
* ``/cdn/APIKEY/zip|animate=.../[S1,S2]``  several sources packed into a zip or a GIF
* ``/cdn/APIKEY/urlscreenshot/URL``        a screenshot of a web page
* ``fallback=handle:H/...``                the file ``H`` when the request cannot be answered
* ``.../store[=opts]/SOURCE``              the result stored as a new file (JSON answer), with
                                           ``workflows`` started on it and ``base64decode``
* ``.../run_workflow=id:.../SOURCE``       and ``.../workflow_status=job_id:...``: the workflow gateway

``cache=false`` and ``cache=expiry:N`` set the answer's ``Cache-Control``; ``auto_image``
answers WebP to clients that accept it.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Protocol
from urllib.parse import unquote

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.filestack_protocol.grammar import ParsedPath, Task, is_handle, parse_path
from dashboard.filestack_protocol.security import Policy
from dashboard.local_filestack.http import auth
from dashboard.local_filestack.http.analysis import ANALYSES, analyse
from dashboard.local_filestack.http.delivery import IMMUTABLE, REVALIDATE, bytes_response
from dashboard.local_filestack.http.errors import ServiceError, status_and_message
from dashboard.local_filestack.http.rate_limits import Action
from dashboard.local_filestack.http.rendering import Renderer
from dashboard.local_filestack.http.sources import Loaded, Source, SourceLoader, resolve_sources
from dashboard.local_filestack.http.urls import CDN_PREFIX, public_hosts
from dashboard.local_filestack.imaging import (
    Limits,
    Rendered,
    animate,
    pack_zip,
    referenced_files,
    validate_tasks,
)
from dashboard.local_filestack.ingest.metadata import build_metadata, requested_fields, store_result
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.ingest.receive import StoreOptions, describe
from dashboard.local_filestack.ingest.screenshot import Screenshots
from dashboard.local_filestack.storage.aliases import StorageAliases
from dashboard.local_filestack.storage.cache import CachedResult, TransformCache, cache_key
from dashboard.local_filestack.storage.files import FileNotFound, StoredFile
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.model.triggers import Arrival

PREFIX = CDN_PREFIX
#: Workflow answers are about a moment; they are never cached.
NO_STORE = {"Cache-Control": "no-store"}
#: ``cache=false``: never kept by a browser or a shared cache.
NOT_CACHED = "no-cache, no-store, max-age=0"
#: ``cache=expiry:max``, as Filestack documents it.
MAX_EXPIRY = 31_536_000
METADATA_SEGMENT = "metadata"
_EXTENSIONS = {"image/jpeg": ".jpg", "image/svg+xml": ".svg", "text/plain": ".txt"}
#: Tasks that gather several sources into one answer.
MULTI_SOURCE_TASKS = frozenset({"zip", "animate"})
#: Service-level tasks that never reach the image pipeline.
_CONTROL_TASKS = frozenset({"security", "cache"})
#: The default ``cache`` of a ``fallback`` answer, in seconds.
FALLBACK_CACHE_S = 300


def processing_path(request: Request) -> str:
    """The path after ``/cdn``, percent-decoded from the raw path, without a leading slash."""
    raw: bytes | None = request.scope.get("raw_path")
    root: str = request.scope.get("root_path", "")
    if raw:
        path = unquote(raw.decode("utf-8", errors="replace"))
        if path.startswith(root):
            return path[len(root) :].lstrip("/")
    return str(request.path_params.get("path", "")).lstrip("/")


def split_metadata(path: str) -> tuple[str, bool]:
    """``(path without '/metadata', True)`` for ``.../HANDLE/metadata``."""
    head, _, last = path.rpartition("/")
    if last == METADATA_SEGMENT and is_handle(head.rpartition("/")[2]):
        return head, True
    return path, False


class WorkflowGateway(Protocol):
    """What the CDN and the Upload API hand workflows to, with plain values.

    Each returns the JSON body Filestack answers with; a missing workflow, job or file,
    a full queue and a bad source are raised as their domain errors.
    """

    async def run_workflow(self, workflow_id: str, source: str, *, base_url: str) -> dict[str, Any]:
        """Start a job of the workflow on a handle, a URL or an alias (answer: status ``Started``)."""
        ...

    async def workflow_status(self, job_id: str) -> bytes:
        """Report a job: the JSON answer, encoded."""
        ...

    async def check_workflows(self, workflow_ids: list[str]) -> None:
        """Raise ``WorkflowNotFound`` unless every id names a workflow."""
        ...

    async def file_arrived(
        self, stored: StoredFile, arrival: Arrival, named: list[str], *, base_url: str
    ) -> list[dict[str, str]]:
        """A file was stored: start the ``named`` workflows and those whose upload trigger
        matches it, each once per file: ``[{"id", "jobid"}, ...]``."""
        ...


def task_param(parsed: ParsedPath, task: str, param: str) -> str:
    """A required string parameter of a task of the path (``run_workflow=id:...``)."""
    found = parsed.task(task)
    value = found.params.get(param) if found is not None else None
    if not isinstance(value, str) or not value:
        raise ServiceError(400, f"{task} needs {param}:<value>")
    return value


def result_filename(original: str | None, mimetype: str) -> str:
    """The stored name of a transformation result: the original stem, the new type's extension."""
    stem = PurePosixPath(original).stem if original else "file"
    extension = _EXTENSIONS.get(mimetype) or mimetypes.guess_extension(mimetype) or ""
    return f"{stem or 'file'}{extension}"


def cache_control(task: Task | None, default: str) -> str:
    """The ``Cache-Control`` a ``cache`` task asks for (``false``, ``expiry:N`` or ``expiry:max``)."""
    if task is None:
        return default
    if task.params.get("false") is True or task.params.get("false") == "true":
        return NOT_CACHED
    expiry = task.params.get("expiry")
    if expiry is None:
        return default
    if expiry == "max":
        return f"public, max-age={MAX_EXPIRY}"
    if isinstance(expiry, bool) or not isinstance(expiry, int) or not 0 <= expiry <= MAX_EXPIRY:
        raise ServiceError(400, f"cache: parameter 'expiry' must be seconds from 0 to {MAX_EXPIRY} or 'max'")
    return f"public, max-age={expiry}"


def kept_for(task: Task | None) -> tuple[bool, float | None]:
    """Whether a ``cache`` task lets the rendered result be kept in the transform cache, and for how
    long at most (``None``: until evicted): ``cache=false`` and ``cache=expiry:0`` keep nothing,
    ``cache=expiry:N`` keeps it N seconds."""
    control = cache_control(task, "")
    if control == NOT_CACHED:
        return False, None
    expiry = task.params.get("expiry") if task is not None else None
    if not isinstance(expiry, int) or isinstance(expiry, bool):  # none, or "max"
        return True, None
    return (expiry > 0), float(expiry)


def negotiated(tasks: tuple[Task, ...], accept: str) -> tuple[tuple[Task, ...], bool]:
    """``auto_image`` replaced by ``output=format:webp`` for clients that accept WebP (else dropped);
    whether the answer depends on ``Accept``."""
    if not any(task.name == "auto_image" for task in tasks):
        return tasks, False
    if any(task.params for task in tasks if task.name == "auto_image"):
        raise ServiceError(400, "auto_image takes no parameters")
    webp = "image/webp" in accept.lower()
    replaced = tuple(
        (Task("output", {"format": "webp"}) if webp else None) if task.name == "auto_image" else task
        for task in tasks
    )
    return tuple(task for task in replaced if task is not None), True


def _decode_base64(data: bytes) -> bytes:
    try:
        return base64.b64decode(b"".join(data.split()), validate=True)
    except (binascii.Error, ValueError) as err:
        raise ServiceError(400, "store: base64decode:true but the file is not base64") from err


class Cdn:
    """Endpoints of the CDN host, with the parts they use."""

    def __init__(
        self,
        *,
        gate: auth.Gate,
        storage: Storage,
        cache: TransformCache,
        renderer: Renderer,
        fetching: FetchOptions,
        limits: Limits,
        public_url: str | None,
        workflows: WorkflowGateway,
        aliases: StorageAliases,
        screenshots: Screenshots,
    ) -> None:
        self.gate = gate
        self.storage = storage
        self.cache = cache
        self.renderer = renderer
        self.limits = limits
        self.public_url = public_url
        self.workflows = workflows
        self.screenshots = screenshots
        self.sources = SourceLoader(storage, fetching, aliases, limits)

    def _authorize(self, creds: auth.Credentials, call: str, source: Source | None) -> Policy | None:
        return self.gate.authorize(
            creds,
            call=call,
            handle=source.handle if source else None,
            url=source.url if source else None,
        )

    async def dispatch(self, request: Request) -> Response:
        """Parse the processing path and answer it."""
        path, wants_metadata = split_metadata(processing_path(request))
        parsed = parse_path(path)
        return await self.answer(request, parsed, auth.from_tasks(parsed), wants_metadata=wants_metadata)

    async def answer(
        self,
        request: Request,
        parsed: ParsedPath,
        creds: auth.Credentials,
        *,
        wants_metadata: bool = False,
        store_extra: Mapping[str, Any] | None = None,
    ) -> Response:
        """Answer a parsed processing request (from a CDN path, or the ``process`` endpoint's JSON)."""
        if parsed.apikey is not None:
            self.gate.check_api_key(parsed.apikey, required=False)
        names = {task.name for task in parsed.tasks}
        if "workflow_status" in names or "run_workflow" in names:
            return await self._workflow(request, parsed, creds, "workflow_status" in names)
        query = request.scope.get("query_string", b"").decode("latin-1")
        sources = resolve_sources(parsed, query, self.gate.api_key)
        for source in sources:
            if source.apikey is not None:
                self.gate.check_api_key(source.apikey, required=False)
        if not creds.has_policy and any(source.handle is not None for source in sources):
            creds = auth.from_query(request)
        chain = tuple(task for task in parsed.tasks if task.name not in _CONTROL_TASKS)
        fallback = next((task for task in chain if task.name == "fallback"), None)
        chain = tuple(task for task in chain if task.name != "fallback")
        try:
            return await self._answer(request, parsed, chain, sources, creds, wants_metadata, store_extra)
        except Exception as exc:
            if fallback is None or status_and_message(exc)[0] in (401, 403):
                raise  # a refused request is never answered with the fallback file
            return await self._fallback(request, fallback, exc)

    async def _answer(
        self,
        request: Request,
        parsed: ParsedPath,
        chain: tuple[Task, ...],
        sources: list[Source],
        creds: auth.Credentials,
        wants_metadata: bool,
        store_extra: Mapping[str, Any] | None,
    ) -> Response:
        if wants_metadata or (chain and chain[0].name == METADATA_SEGMENT):
            if len(chain) > (0 if wants_metadata else 1):
                raise ServiceError(400, "metadata cannot follow processing tasks")
            return await self._metadata(request, self._single(sources), creds)
        store = chain[-1] if chain and chain[-1].name == "store" else None
        if any(task.name == "store" for task in chain[:-1]):
            raise ServiceError(400, "store must be the last processing task")
        if request.method == "POST" and store is None:
            raise ServiceError(405, "POST is only accepted with a store task")
        work = chain[:-1] if store is not None else chain
        chain_tasks, varies = negotiated(work, request.headers.get("accept", ""))
        analysis = chain_tasks[-1] if chain_tasks and chain_tasks[-1].name in ANALYSES else None
        image_tasks = chain_tasks[:-1] if analysis is not None else chain_tasks
        for task in image_tasks:
            if task.name in ANALYSES or task.name == METADATA_SEGMENT:
                raise ServiceError(400, f"{task.name} must be the last task before the source")
        converting = bool(image_tasks) or analysis is not None
        store_policy = None
        for source in sources:
            if converting or store is None:
                self._authorize(creds, "convert" if converting else "read", source)
            if store is not None:  # storing a source as it is needs only the store call
                store_policy = self._authorize(creds, "store", source)
        await self._check_not_held(sources)
        if store is not None:
            self.gate.spend(Action.STORE)
        cache = parsed.task("cache")
        head = image_tasks[0].name if image_tasks else None
        if head in MULTI_SOURCE_TASKS:
            result = await self._combine(sources, image_tasks)
        elif len(sources) != 1:
            raise ServiceError(400, "several sources need a zip or animate task")
        elif head == "urlscreenshot":
            result = await self._screenshot(sources[0], image_tasks)
        else:
            validate_tasks(image_tasks)
            loaded = await self.sources.load(sources[0])
            keep, max_age_s = kept_for(cache)
            result = await self._result(loaded, image_tasks, cached=keep, max_age_s=max_age_s)
        if analysis is not None:
            body = await self.renderer.run(analyse, analysis.name, result.data, self.limits)
            return JSONResponse(body)
        if store is not None:
            return await self._store(request, result, store, store_policy, store_extra)
        default = IMMUTABLE if image_tasks and sources[0].handle else REVALIDATE
        download = request.query_params.get("dl", "").lower() == "true"
        return bytes_response(
            request,
            result.data,
            result.mimetype,
            etag=result.etag,
            cache_control=cache_control(cache, default),
            filename=result.filename if download or not image_tasks else None,
            download=download,
            extra={"Vary": "Accept"} if varies else None,
        )

    @staticmethod
    def _single(sources: list[Source]) -> Source:
        if len(sources) != 1:
            raise ServiceError(400, "only one source per request is supported here")
        return sources[0]

    # -- workflows ---------------------------------------------------------

    async def _workflow(
        self, request: Request, parsed: ParsedPath, creds: auth.Credentials, status: bool
    ) -> Response:
        if status:
            self._authorize(creds, "runWorkflow", None)
            answer = await self.workflows.workflow_status(task_param(parsed, "workflow_status", "job_id"))
            return Response(answer, media_type="application/json", headers=NO_STORE)
        query = request.scope.get("query_string", b"").decode("latin-1")
        source = self._single(resolve_sources(parsed, query, self.gate.api_key))
        self._authorize(creds, "runWorkflow", source)
        self.gate.spend(Action.RUN_WORKFLOW)
        body = await self.workflows.run_workflow(
            task_param(parsed, "run_workflow", "id"),
            source.handle or source.url or source.text,
            base_url=public_hosts(request, PREFIX, self.public_url).cdn,
        )
        return JSONResponse(body, headers=NO_STORE)

    async def _check_not_held(self, sources: list[Source]) -> None:
        """A file in quarantine is out of public reach, rendered or not (checked once the request is
        authorized, so the answer tells nothing to someone who may not read the file anyway)."""
        for source in sources:
            if source.handle is not None:
                await asyncio.to_thread(self.storage.quarantine.check, source.handle)

    # -- metadata ----------------------------------------------------------

    async def _metadata(self, request: Request, source: Source, creds: auth.Credentials) -> Response:
        if source.handle is None:
            raise ServiceError(400, "metadata needs a file handle")
        self._authorize(creds, "stat", source)
        fields = requested_fields(request.query_params)
        if "exif" in fields:
            self._authorize(creds, "exif", source)
        await self._check_not_held([source])
        stored = await asyncio.to_thread(self.storage.get, source.handle)
        return JSONResponse(await asyncio.to_thread(build_metadata, stored, fields, self.storage))

    # -- producing the bytes -------------------------------------------------

    async def _assets(self, tasks: tuple[Task, ...]) -> dict[str, bytes]:
        """The stored files the tasks name (a watermark, a collage's files)."""
        return {handle: await self.sources.read_handle(handle) for handle in referenced_files(tasks)}

    async def _result(
        self, loaded: Loaded, tasks: tuple[Task, ...], *, cached: bool, max_age_s: float | None = None
    ) -> _Result:
        if not tasks:
            data = await self.sources.read(loaded)
            return _Result(data, loaded.mimetype, loaded.sha256, loaded.width, loaded.height, loaded.filename)
        assets = await self._assets(tasks)

        async def compute() -> tuple[bytes, str, int | None, int | None]:
            rendered = await self.renderer.render(await self.sources.read(loaded), tasks, assets)
            return rendered.data, rendered.mimetype, rendered.width, rendered.height

        asset_hashes = "".join(hashlib.sha256(assets[name]).hexdigest() for name in sorted(assets))
        key = cache_key(loaded.source.text, tasks, loaded.sha256 + asset_hashes)
        group = loaded.source.handle or loaded.source.text
        if cached:
            result = await self.cache.get_or_compute(group, key, compute, max_age_s=max_age_s)
        else:
            result = await CachedResult.computed(compute)
        return _Result(
            result.data,
            result.mimetype,
            result.etag,
            result.width,
            result.height,
            result_filename(loaded.filename, result.mimetype),
        )

    async def _combine(self, sources: list[Source], tasks: tuple[Task, ...]) -> _Result:
        """``zip`` (the files as they are) or ``animate`` (a GIF of the images), then image tasks."""
        head, rest = tasks[0], tasks[1:]
        loaded = [await self.sources.load(source) for source in sources]
        contents = [await self.sources.read(item) for item in loaded]
        if head.name == "zip":
            if head.params or rest:
                raise ServiceError(
                    400, "zip takes no parameters and must be the last task before the sources"
                )
            names = [item.filename or item.source.text.rsplit("/", 1)[-1] for item in loaded]
            data = await self.renderer.run(pack_zip, list(zip(names, contents, strict=True)))
            return _Result(data, "application/zip", hashlib.sha256(data).hexdigest(), None, None, "files.zip")
        rendered: Rendered = await self.renderer.run(animate, contents, head, self.limits)
        if rest:
            validate_tasks(rest)
            rendered = await self.renderer.render(rendered.data, rest, await self._assets(rest))
        return _Result(
            rendered.data,
            rendered.mimetype,
            hashlib.sha256(rendered.data).hexdigest(),
            rendered.width,
            rendered.height,
            result_filename("animation", rendered.mimetype),
        )

    async def _screenshot(self, source: Source, tasks: tuple[Task, ...]) -> _Result:
        """``urlscreenshot``: the page at a URL source, as PNG, then the tasks after it."""
        if source.url is None:
            raise ServiceError(400, "urlscreenshot needs a URL source")
        head, rest = tasks[0], tasks[1:]
        png = await self.screenshots.take(source.url, head)
        if rest:
            validate_tasks(rest)
            rendered = await self.renderer.render(png, rest, await self._assets(rest))
            data, mimetype, width, height = rendered.data, rendered.mimetype, rendered.width, rendered.height
        else:
            described = await describe(png, self.limits)
            data, mimetype, width, height = png, "image/png", described.width, described.height
        return _Result(data, mimetype, hashlib.sha256(data).hexdigest(), width, height, "screenshot.png")

    async def _fallback(self, request: Request, fallback: Task, error: Exception) -> Response:
        """``fallback=handle:H[,cache:N]``: the file ``H`` when the request failed."""
        handle = fallback.params.get("handle")
        if not isinstance(handle, str) or not is_handle(handle):
            raise ServiceError(400, "fallback: parameter 'handle' must be a file handle") from error
        seconds = fallback.params.get("cache", FALLBACK_CACHE_S)
        if isinstance(seconds, bool) or not isinstance(seconds, int) or not 1 <= seconds <= MAX_EXPIRY:
            raise ServiceError(400, f"fallback: parameter 'cache' must be seconds from 1 to {MAX_EXPIRY}")
        await asyncio.to_thread(self.storage.quarantine.check, handle)
        try:
            stored = await asyncio.to_thread(self.storage.get, handle)
            data = await asyncio.to_thread(self.storage.read, handle)
        except FileNotFound:
            raise error from None
        return bytes_response(
            request,
            data,
            stored.mimetype,
            etag=stored.sha256,
            cache_control=f"public, max-age={seconds}",
            filename=stored.filename,
        )

    # -- storing -------------------------------------------------------------

    async def _store(
        self,
        request: Request,
        result: _Result,
        store: Task,
        policy: Policy | None,
        store_extra: Mapping[str, Any] | None,
    ) -> Response:
        params = {k: v for k, v in store.params.items() if k not in ("workflows", "base64decode")}
        try:
            options = StoreOptions.model_validate(params)
            workflows = (
                StoreOptions.model_validate({"workflows": store.params.get("workflows")}).workflows or []
            )
        except ValidationError as err:
            message = str(err.errors()[0]["msg"]).removeprefix("Value error, ")
            raise ServiceError(400, f"store: {message}") from err
        auth.check_store_target(policy, path=options.path, container=options.container)
        if workflows:
            await self.workflows.check_workflows(workflows)
        data, mimetype, width, height = result.data, result.mimetype, result.width, result.height
        if store.params.get("base64decode") in (True, "true"):
            data = await asyncio.to_thread(_decode_base64, data)
            described = await describe(data, self.limits)
            mimetype, width, height = described.mimetype, described.width, described.height
        new = options.new_file(
            data,
            filename=options.filename or result.filename or result_filename(None, mimetype),
            mimetype=mimetype,
            width=width,
            height=height,
        )
        stored = await asyncio.to_thread(self.storage.put, new)
        hosts = public_hosts(request, PREFIX, self.public_url)
        body = store_result(stored, hosts.file_url(stored.handle))
        started = await self.workflows.file_arrived(stored, Arrival.CDN_STORE, workflows, base_url=hosts.cdn)
        if started:
            body["workflows"] = started
        body.update(store_extra or {})
        return JSONResponse(body)

    def routes(self) -> list[BaseRoute]:
        """The CDN host's one route (relative to ``/cdn``)."""
        return [Route("/{path:path}", self.dispatch, methods=["GET", "HEAD", "POST"])]


@dataclass(frozen=True)
class _Result:
    """Bytes to answer with, store or analyse, and what is known about them."""

    data: bytes
    mimetype: str
    etag: str
    width: int | None
    height: int | None
    filename: str | None
