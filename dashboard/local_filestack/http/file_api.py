"""www.filestackapi.com: simple store and the File API, under ``/www``.

* ``POST   /www/api/store/{location}``        store a file (raw body, ``fileUpload`` or ``url=``)
* ``GET    /www/api/file/{handle}``           download (``?dl=true`` as attachment); ``HEAD`` too
* ``POST   /www/api/file/{handle}``           overwrite (needs ``write``); ``PUT`` too (filestack-ruby)
* ``DELETE /www/api/file/{handle}``           delete (needs ``remove``)
* ``POST   /www/api/file/{handle}/remove``    delete, the POST form
* ``GET    /www/api/file/{handle}/metadata``  metadata (needs ``stat``)
"""

from __future__ import annotations

import asyncio
import base64
import binascii

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.filestack_protocol.security import Policy
from dashboard.local_filestack.http import auth
from dashboard.local_filestack.http.cdn import WorkflowGateway
from dashboard.local_filestack.http.delivery import REVALIDATE, bytes_response
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.http.rate_limits import Action
from dashboard.local_filestack.http.urls import API_PREFIX, public_hosts
from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.ingest.errors import BadUpload
from dashboard.local_filestack.ingest.metadata import build_metadata, requested_fields, store_result
from dashboard.local_filestack.ingest.netguard import FetchOptions
from dashboard.local_filestack.ingest.receive import (
    Incoming,
    StoreOptions,
    describe,
    receive_file,
    store_bytes,
)
from dashboard.local_filestack.storage.cache import TransformCache
from dashboard.local_filestack.storage.files import FileNotFound, NewFile
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.model.triggers import Arrival

PREFIX = API_PREFIX


def _truthy(value: str | None) -> bool:
    return (value or "").lower() == "true"


def _decode_base64(incoming: Incoming) -> Incoming:
    try:
        data = base64.b64decode(incoming.data, validate=False)
    except (binascii.Error, ValueError) as err:
        raise ServiceError(400, "base64decode=true but the body is not base64") from err
    return incoming.model_copy(update={"data": data})


class FileApi:
    """Endpoints of the File API host, with the parts they use."""

    def __init__(
        self,
        *,
        gate: auth.Gate,
        storage: Storage,
        cache: TransformCache,
        fetching: FetchOptions,
        limits: Limits,
        max_upload_bytes: int,
        public_url: str | None,
        workflows: WorkflowGateway,
    ) -> None:
        self.gate = gate
        self.workflows = workflows
        self.storage = storage
        self.cache = cache
        self.fetching = fetching
        self.limits = limits
        self.max_upload_bytes = max_upload_bytes
        self.public_url = public_url

    def _authorize(
        self, request: Request, call: str, handle: str | None = None, size: int | None = None
    ) -> Policy | None:
        return self.gate.authorize(
            self.gate.file_api_credentials(request), call=call, handle=handle, size=size
        )

    async def _receive(self, request: Request) -> Incoming:
        incoming = await receive_file(request, self.max_upload_bytes, self.fetching)
        if _truthy(request.query_params.get("base64decode")):
            incoming = _decode_base64(incoming)
        if not incoming.data:
            raise BadUpload("file is empty")
        return incoming

    async def store(self, request: Request) -> Response:
        """``POST /api/store/{location}``."""
        query = request.query_params
        self.gate.check_api_key(query.get("key"), required=True)
        try:
            options = StoreOptions(
                location=request.path_params["location"],
                filename=query.get("filename") or None,
                path=query.get("path") or None,
                container=query.get("container") or None,
                access=query.get("access") or "private",
            )
        except ValidationError as err:
            raise ServiceError(400, str(err.errors()[0]["msg"]).removeprefix("Value error, ")) from err
        policy = self._authorize(request, "store")
        auth.check_store_target(policy, path=options.path, container=options.container)
        self.gate.spend(Action.STORE)
        incoming = await self._receive(request)
        if policy is not None:
            self._authorize(request, "store", size=len(incoming.data))
        stored = await store_bytes(
            self.storage, self.limits, incoming.data, filename=incoming.filename, options=options
        )
        hosts = public_hosts(request, PREFIX, self.public_url)
        answer = store_result(stored, hosts.file_url(stored.handle))
        arrival = Arrival.URL if incoming.from_url else Arrival.STORE
        started = await self.workflows.file_arrived(stored, arrival, [], base_url=hosts.cdn)
        if started:
            answer["workflows"] = started
        return JSONResponse(answer)

    async def file(self, request: Request) -> Response:
        """``GET``/``HEAD`` download, ``POST``/``PUT`` overwrite, ``DELETE`` remove."""
        if request.method == "DELETE":
            return await self.remove(request)
        if request.method in ("POST", "PUT"):
            return await self.overwrite(request)
        handle = request.path_params["handle"]
        self.gate.check_api_key(request.query_params.get("key"), required=False)
        self._authorize(request, "read", handle)
        stored = await asyncio.to_thread(self.storage.get, handle)
        await asyncio.to_thread(self.storage.quarantine.check, handle)
        data = await asyncio.to_thread(self.storage.read, handle)
        return bytes_response(
            request,
            data,
            stored.mimetype,
            etag=stored.sha256,
            cache_control=REVALIDATE,
            filename=stored.filename,
            download=_truthy(request.query_params.get("dl")),
        )

    async def remove(self, request: Request) -> Response:
        """``DELETE /api/file/{handle}`` and ``POST /api/file/{handle}/remove``."""
        handle = request.path_params["handle"]
        self.gate.check_api_key(request.query_params.get("key"), required=False)
        self._authorize(request, "remove", handle)
        existed = await asyncio.to_thread(self.storage.delete, handle)
        if not existed:
            raise FileNotFound(handle)
        await asyncio.to_thread(self.cache.purge, handle)
        return JSONResponse({"status": "deleted", "handle": handle})

    async def overwrite(self, request: Request) -> Response:
        """``POST`` or ``PUT /api/file/{handle}``: new bytes for an existing handle."""
        handle = request.path_params["handle"]
        self.gate.check_api_key(request.query_params.get("key"), required=False)
        self._authorize(request, "write", handle)
        await asyncio.to_thread(self.storage.get, handle)
        incoming = await self._receive(request)
        described = await describe(incoming.data, self.limits)
        new = NewFile(
            data=incoming.data,
            filename="",
            mimetype=described.mimetype,
            width=described.width,
            height=described.height,
        )
        stored = await asyncio.to_thread(self.storage.overwrite, handle, new)
        await asyncio.to_thread(self.cache.purge, handle)
        hosts = public_hosts(request, PREFIX, self.public_url)
        return JSONResponse(store_result(stored, hosts.file_url(handle)))

    async def metadata(self, request: Request) -> Response:
        """``GET /api/file/{handle}/metadata``."""
        handle = request.path_params["handle"]
        self.gate.check_api_key(request.query_params.get("key"), required=False)
        self._authorize(request, "stat", handle)
        fields = requested_fields(request.query_params)
        if "exif" in fields:
            self._authorize(request, "exif", handle)
        stored = await asyncio.to_thread(self.storage.get, handle)
        await asyncio.to_thread(self.storage.quarantine.check, handle)
        return JSONResponse(await asyncio.to_thread(build_metadata, stored, fields, self.storage))

    def routes(self) -> list[BaseRoute]:
        """The File API host's routes (relative to ``/www``)."""
        return [
            Route("/api/store/{location}", self.store, methods=["POST"]),
            Route("/api/file/{handle}/metadata", self.metadata, methods=["GET"]),
            Route("/api/file/{handle}/remove", self.remove, methods=["POST"]),
            Route("/api/file/{handle}", self.file, methods=["GET", "HEAD", "POST", "PUT", "DELETE"]),
        ]
