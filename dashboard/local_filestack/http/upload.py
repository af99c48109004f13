"""upload.filestackapi.com: multipart uploads, under ``/upload``.

* ``POST /upload/multipart/start``                      open an upload
* ``POST /upload/multipart/upload``                     get the URL to PUT one part to
* ``PUT  /upload/multipart/part/{upload_id}/{part}``    receive one part (the URL above)
* ``POST /upload/multipart/commit``                     join a part's chunks (intelligent ingestion)
* ``POST /upload/multipart/complete``                   assemble the parts, store the file, start the
                                                          workflows ``store.workflows`` names

Bodies are JSON (Python, JS, Ruby, Go) or ``multipart/form-data`` (PHP: ``store_*`` fields and an
empty ``files`` part, ignored). With ``fii: true`` (intelligent ingestion) ``start`` answers
``upload_type: "intelligent_ingestion"``, parts arrive in chunks with an ``offset``, each part is
committed, and ``complete`` needs no ``parts``. URLs in the answers are the public ones
(:mod:`.urls`): behind a host-mapping proxy, ``location_url`` is the public upload host.
"""

from __future__ import annotations

import asyncio
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from dashboard.local_filestack.http import auth
from dashboard.local_filestack.http.cdn import WorkflowGateway
from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.http.rate_limits import Action
from dashboard.local_filestack.http.urls import UPLOAD_PREFIX, public_hosts
from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.ingest.errors import BadUpload, UploadTooLarge
from dashboard.local_filestack.ingest.multipart import (
    CommitRequest,
    CompleteRequest,
    MultipartStore,
    PartRequest,
    StartRequest,
    b64_md5,
    part_token,
    upload_handle,
)
from dashboard.local_filestack.ingest.receive import check_declared_length, is_form, read_body, store_bytes
from dashboard.local_filestack.storage.store import Storage
from dashboard.local_filestack.workflows.model.triggers import Arrival

PREFIX = UPLOAD_PREFIX
REGION = "local"
_MAX_CONTROL_BODY = 1024 * 1024


async def read_payload(request: Request) -> dict[str, Any]:
    """An Upload API body, JSON or form, as a dict (form ``store_*`` fields folded into ``store``)."""
    if is_form(request):
        check_declared_length(request, _MAX_CONTROL_BODY)
        # PHP's client sends every call with a 'files' part (empty): allowed, and ignored.
        async with request.form(max_files=1, max_fields=200, max_part_size=_MAX_CONTROL_BODY) as form:
            payload: dict[str, Any] = {k: v for k, v in form.items() if isinstance(v, str)}
        store = {k.removeprefix("store_"): payload.pop(k) for k in list(payload) if k.startswith("store_")}
        if store and "store" not in payload:
            payload["store"] = store
        return payload
    body = await read_body(request, _MAX_CONTROL_BODY)
    try:
        payload = json.loads(body or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise ServiceError(400, "Parameters are invalid: body is not JSON") from err
    if not isinstance(payload, dict):
        raise ServiceError(400, "Parameters are invalid: body must be a JSON object")
    return payload


class UploadApi:
    """Endpoints of the Upload API host, with the parts they use."""

    def __init__(
        self,
        *,
        gate: auth.Gate,
        storage: Storage,
        multipart: MultipartStore,
        limits: Limits,
        max_upload_bytes: int,
        public_url: str | None,
        workflows: WorkflowGateway,
    ) -> None:
        self.gate = gate
        self.storage = storage
        self.multipart = multipart
        self.limits = limits
        self.max_upload_bytes = max_upload_bytes
        self.public_url = public_url
        self.workflows = workflows

    def _check(
        self,
        body: StartRequest | PartRequest | CommitRequest | CompleteRequest,
        *,
        size: int | None = None,
        opening: bool = False,
    ) -> None:
        """API key and policy. Only ``start`` needs a policy under ``require_security``:
        the later steps belong to a session a checked request opened (a policy they
        carry is still verified)."""
        self.gate.check_api_key(body.apikey, required=True)
        policy = self.gate.authorize(
            auth.Credentials(policy=body.policy, signature=body.signature),
            call="store",
            size=size,
            require_security=self.gate.require_security and opening,
        )
        auth.check_store_target(policy, path=body.store.path, container=body.store.container)

    def _check_size(self, size: int) -> None:
        if size <= 0:
            raise BadUpload("file is empty")
        if size > self.max_upload_bytes:
            raise UploadTooLarge(self.max_upload_bytes)

    async def start(self, request: Request) -> Response:
        """Open an upload session."""
        body = StartRequest.model_validate(await read_payload(request))
        self._check(body, size=body.size, opening=True)
        self._check_size(body.size)
        self.gate.spend(Action.UPLOAD)
        session = await asyncio.to_thread(
            self.multipart.start,
            filename=body.filename,
            mimetype=body.mimetype,
            size=body.size,
            store=body.store,
            intelligent=body.fii,
        )
        answer = {
            "uri": f"/{session.upload_id}/{session.filename}",
            "region": REGION,
            "upload_id": session.upload_id,
            "location_url": public_hosts(request, PREFIX, self.public_url).location_url,
            "location_region": REGION,
        }
        if session.intelligent:
            answer["upload_type"] = "intelligent_ingestion"
        return JSONResponse(answer)

    async def upload(self, request: Request) -> Response:
        """Where to PUT one part, and with which headers."""
        body = PartRequest.model_validate(await read_payload(request))
        self._check(body)
        session = await asyncio.to_thread(self.multipart.load, body.upload_id)
        if body.size > session.size:
            raise ServiceError(400, f"part {body.part} is larger than the whole file")
        if body.offset is not None and body.offset + body.size > session.size:
            raise ServiceError(400, f"part {body.part}: the chunk at offset {body.offset} ends past the file")
        token = part_token(self.gate.app_secret, body.upload_id, body.part, body.size, body.md5, body.offset)
        fields: dict[str, Any] = {"size": body.size, "md5": body.md5}
        if body.offset is not None:
            fields["offset"] = body.offset
        query = urlencode({**fields, "token": token})
        base = public_hosts(request, PREFIX, self.public_url).mount(PREFIX)
        url = f"{base}/multipart/part/{body.upload_id}/{body.part}?{query}"
        return JSONResponse({"url": url, "headers": {"Content-MD5": body.md5}})

    async def put_part(self, request: Request) -> Response:
        """Receive one part; answer with its ETag (hex MD5)."""
        upload_id: str = request.path_params["upload_id"]
        part: int = request.path_params["part"]
        query = request.query_params
        md5 = query.get("md5", "")
        size_text = query.get("size", "")
        if not size_text.isdigit():
            raise ServiceError(400, "part URL has no size")
        size = int(size_text)
        offset_text = query.get("offset")
        if offset_text is not None and not offset_text.isdigit():
            raise ServiceError(400, "part URL has an invalid offset")
        offset = int(offset_text) if offset_text is not None else None
        expected = part_token(self.gate.app_secret, upload_id, part, size, md5, offset)
        if not hmac.compare_digest(expected, query.get("token", "")):
            raise ServiceError(403, "invalid part upload signature")
        await asyncio.to_thread(self.multipart.load, upload_id)
        try:
            data = await read_body(request, min(size, self.max_upload_bytes))
        except UploadTooLarge as err:
            raise ServiceError(400, f"part {part} is larger than its declared size {size}") from err
        if len(data) != size:
            raise ServiceError(400, f"part {part} has {len(data)} bytes, expected {size}")
        header_md5 = request.headers.get("content-md5")
        if header_md5 is not None and header_md5 != md5:
            raise ServiceError(400, "Content-MD5 header does not match the signed part URL")
        if b64_md5(data) != md5:
            raise ServiceError(400, f"Content-MD5 does not match the content of part {part}")
        etag = await asyncio.to_thread(self.multipart.write_part, upload_id, part, data, offset)
        return Response(status_code=200, headers={"ETag": f'"{etag}"'})

    async def commit(self, request: Request) -> Response:
        """Intelligent-ingestion commit: join the part's chunks (a part sent whole needs nothing)."""
        body = CommitRequest.model_validate(await read_payload(request))
        self._check(body)
        await asyncio.to_thread(self.multipart.load, body.upload_id)
        if body.part is not None:
            await asyncio.to_thread(self.multipart.commit_part, body.upload_id, body.part)
        return JSONResponse({})

    async def complete(self, request: Request) -> Response:
        """Assemble the parts in order, check them, store the file."""
        body = CompleteRequest.model_validate(await read_payload(request))
        self._check(body, size=body.size)
        multipart = self.multipart
        session = await asyncio.to_thread(multipart.load, body.upload_id)
        if body.size != session.size:
            raise ServiceError(400, f"size {body.size} differs from the {session.size} given at start")
        parts = body.parts
        if parts is None:
            if not (session.intelligent or body.fii):
                raise ServiceError(400, "Parameters are invalid: parts is required")
            parts = await asyncio.to_thread(multipart.committed_parts, body.upload_id)
        data = await asyncio.to_thread(multipart.assemble, body.upload_id, parts, session.size)
        options = body.store if body.store.model_fields_set else session.store
        workflows = options.workflows or []
        if workflows:
            await self.workflows.check_workflows(workflows)
        # Stored under the upload's own handle, and the session kept until the jobs are started:
        # a complete repeated after a failure or a restart finds the same file and the same jobs.
        stored = await store_bytes(
            self.storage,
            self.limits,
            data,
            filename=body.filename or session.filename,
            options=options,
            handle=upload_handle(body.upload_id),
        )
        hosts = public_hosts(request, PREFIX, self.public_url)
        started = await self.workflows.file_arrived(stored, Arrival.MULTIPART, workflows, base_url=hosts.cdn)
        await asyncio.to_thread(multipart.discard, body.upload_id)
        answer: dict[str, Any] = {
            "handle": stored.handle,
            "url": hosts.file_url(stored.handle),
            "filename": stored.filename,
            "size": stored.size,
            "mimetype": stored.mimetype,
            "key": stored.key,
            "container": stored.container,
            "status": "Stored",
        }
        if body.upload_tags is not None:
            answer["upload_tags"] = body.upload_tags
        if started:
            answer["workflows"] = started
        return JSONResponse(answer)

    def routes(self) -> list[BaseRoute]:
        """The Upload API host's routes (relative to ``/upload``)."""
        return [
            Route("/multipart/start", self.start, methods=["POST"]),
            Route("/multipart/upload", self.upload, methods=["POST"]),
            Route("/multipart/part/{upload_id}/{part:int}", self.put_part, methods=["PUT"]),
            Route("/multipart/commit", self.commit, methods=["POST"]),
            Route("/multipart/complete", self.complete, methods=["POST"]),
        ]
