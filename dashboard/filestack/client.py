"""The async Filestack client: uploads, the File API, CDN transformations and workflows.

It needs nothing but a :class:`~dashboard.filestack.config.ClientConfig`, so it talks
to real Filestack or to the embedded Filestack-compatible service alike::

    async with FilestackClient(config) as fs:
        stored = await fs.upload(data, filename="me.jpg")
        job = await fs.run_workflow(workflow_id, stored.handle)
        status = await fs.wait_for_job(job.jobid)

The Workflows REST API (workflows, jobs, webhook attempts) is :attr:`FilestackClient.workflows_api`.
"""

from __future__ import annotations

import asyncio
import inspect
import mimetypes
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Self

import httpx

from dashboard.filestack_protocol.grammar import is_handle
from dashboard.filestack_protocol.security import Security, make_security, scoped_security

from .config import ClientConfig
from .errors import FilestackError, WorkflowFailed, WorkflowTimeout
from .models import FileMetadata, StoreResponse, WorkflowRun, WorkflowStatus
from .multipart import MultipartJob, upload_multipart
from .transform import ACCESS_MODES, Transformation
from .transport import HttpSender, Sleep, read_model
from .urls import (
    check_id,
    file_url,
    metadata_url,
    run_workflow_url,
    store_url,
    workflow_status_url,
)
from .workflows_api import WorkflowsApi

MiB = 1024 * 1024
DEFAULT_MULTIPART_THRESHOLD = 50 * MiB
DEFAULT_PART_SIZE = 5 * MiB

#: Metadata flags the File API understands.
METADATA_FIELDS = frozenset(
    {
        "size",
        "mimetype",
        "filename",
        "width",
        "height",
        "uploaded",
        "writeable",
        "cloud",
        "source_url",
        "md5",
        "sha1",
        "sha224",
        "sha256",
        "sha384",
        "sha512",
        "location",
        "path",
        "container",
        "exif",
    }
)
#: Fields asked for when none are given: Filestack's defaults plus image dimensions.
DEFAULT_METADATA_FIELDS = (
    "size",
    "mimetype",
    "filename",
    "width",
    "height",
    "uploaded",
    "writeable",
    "location",
    "path",
    "container",
)
#: Policy calls a workflow run (and its status) needs.
WORKFLOW_CALLS = ("runWorkflow", "convert", "read")

StatusCallback = Callable[[WorkflowStatus], None | Awaitable[None]]


class FilestackClient:
    """Async client for Filestack's APIs, configured by base URLs and credentials only.

    Pass ``http`` (an :class:`httpx.AsyncClient` the caller owns) or ``transport``
    (e.g. :class:`httpx.MockTransport`) to control the HTTP layer. ``sleep`` is awaited
    between retries and between multipart ``complete`` attempts; ``clock`` gives the
    time policies expire from. Both exist so tests need not wait or depend on the time.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if http is not None and transport is not None:
            raise ValueError("pass either http or transport, not both")
        self.config = config
        self._owns_http = http is None
        self._http = http if http is not None else httpx.AsyncClient(transport=transport)
        self._sleep = sleep
        self._clock = clock
        secret = config.app_secret.get_secret_value() if config.app_secret else None
        self._sender = HttpSender(
            self._http,
            timeout_s=config.timeout_s,
            retries=config.retries,
            retry_wait_s=config.retry_wait_s,
            retry_max_wait_s=config.retry_max_wait_s,
            secrets=(secret,) if secret else (),
            sleep=sleep,
        )
        self._workflows_api = WorkflowsApi(self._sender, config)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    def __repr__(self) -> str:
        return f"FilestackClient(api_key={self.config.api_key!r}, cdn_url={self.config.cdn_url!r})"

    # ------------------------------------------------------------------
    # Security

    def _secret(self) -> str | None:
        secret = self.config.app_secret
        return secret.get_secret_value() if secret is not None else None

    def security(
        self,
        calls: Iterable[str],
        handle: str | None = None,
        ttl_s: int | None = None,
        path: str | None = None,
    ) -> Security | None:
        """A short-lived policy for ``calls`` (scoped to ``handle`` and a store ``path`` regex), or ``None`` without a secret."""
        secret = self._secret()
        if secret is None:
            return None
        ttl = self.config.policy_ttl_s if ttl_s is None else ttl_s
        return scoped_security(
            secret, calls=list(calls), handle=handle, ttl_seconds=ttl, now=self._clock(), path=path
        )

    def sign_policy(self, policy: Mapping[str, Any]) -> Security:
        """Encode and sign an arbitrary policy dict with the app secret."""
        secret = self._secret()
        if secret is None:
            raise FilestackError("signing a policy needs the app secret")
        return make_security(dict(policy), secret)

    def _auth_query(self, calls: Iterable[str], handle: str | None = None) -> dict[str, str]:
        security = self.security(calls, handle=handle)
        return security.as_query() if security is not None else {}

    # ------------------------------------------------------------------
    # Processing (CDN) URLs

    def transform_url(self, source: str, transformation: Transformation, *, sign: bool = True) -> str:
        """The CDN URL of ``transformation`` applied to ``source`` (handle, URL or ``src://``).

        With a secret and ``sign``, the URL carries a ``read``+``convert`` policy (plus
        ``store`` when the chain stores), scoped to the handle. A transformation that
        already has a security keeps it. The API key is prepended for non-handle sources.
        """
        chain = transformation
        if chain.signed_with is None and sign:
            calls = ["read", "convert"] + (["store"] if "store" in chain.task_names else [])
            security = self.security(calls, handle=source if is_handle(source) else None)
            if security is not None:
                chain = chain.security(security)
        apikey = None if is_handle(source) else self.config.api_key
        return chain.url(source, cdn_url=self.config.cdn_url, apikey=apikey)

    async def store_transformation(self, source: str, transformation: Transformation) -> StoreResponse:
        """Run ``transformation``, which ends in ``store``, on ``source`` at the CDN; the stored file.

        Sent once, never retried: each request stores a new file.
        """
        if not transformation.task_names or transformation.task_names[-1] != "store":
            raise ValueError("the transformation must end with a store task")
        response = await self._sender.request(
            "GET", self.transform_url(source, transformation), idempotent=False
        )
        return read_model(response, StoreResponse)

    # ------------------------------------------------------------------
    # Uploads

    async def upload(
        self,
        data: bytes,
        *,
        filename: str,
        mimetype: str | None = None,
        path: str | None = None,
        container: str | None = None,
        access: str | None = None,
        location: str = "S3",
        multipart_threshold: int = DEFAULT_MULTIPART_THRESHOLD,
        part_size: int = DEFAULT_PART_SIZE,
        part_concurrency: int = 3,
    ) -> StoreResponse:
        """Store ``data``: one File API request up to ``multipart_threshold`` bytes, multipart above.

        The simple store is sent once (never retried). Multipart parts are retried.
        """
        if not data:
            raise ValueError("data is empty")
        if not filename:
            raise ValueError("filename must not be empty")
        if access is not None and access not in ACCESS_MODES:
            raise ValueError(f"access must be one of {', '.join(sorted(ACCESS_MODES))}; got {access!r}")
        kind = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        options = _drop_none(path=path, container=container, access=access)
        # A store under a path gets a policy that allows that path only.
        security = self.security(["store"], path=re.escape(path) if path else None)
        if len(data) > multipart_threshold:
            job = MultipartJob(
                apikey=self.config.api_key,
                upload_url=self.config.upload_url,
                data=data,
                filename=filename,
                mimetype=kind,
                store={"location": location, **options},
                security=security,
                part_size=part_size,
                concurrency=part_concurrency,
            )
            complete = await upload_multipart(self._sender, job, sleep=self._sleep)
            return StoreResponse.model_validate(complete.model_dump(by_alias=True))
        params = {
            "key": self.config.api_key,
            "filename": filename,
            **options,
            **(security.as_query() if security is not None else {}),
        }
        response = await self._sender.request(
            "POST",
            store_url(self.config.api_url, location),
            params=params,
            content=data,
            headers={"Content-Type": kind},
            idempotent=False,
        )
        return read_model(response, StoreResponse)

    async def upload_url(
        self,
        url: str,
        *,
        filename: str | None = None,
        mimetype: str | None = None,
        path: str | None = None,
        container: str | None = None,
        access: str | None = None,
        location: str = "S3",
    ) -> StoreResponse:
        """Store the file at an external ``url`` (File API store with form field ``url``)."""
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        # Like upload(): a store under a path gets a policy that allows that path only.
        security = self.security(["store"], path=re.escape(path) if path else None)
        params = {
            "key": self.config.api_key,
            **_drop_none(filename=filename, mimetype=mimetype, path=path, container=container, access=access),
            **(security.as_query() if security is not None else {}),
        }
        response = await self._sender.request(
            "POST",
            store_url(self.config.api_url, location),
            params=params,
            data={"url": url},
            idempotent=False,
        )
        return read_model(response, StoreResponse)

    # ------------------------------------------------------------------
    # File API

    async def metadata(self, handle: str, fields: list[str] | None = None) -> FileMetadata:
        """The file's metadata; ``fields`` defaults to Filestack's defaults plus width/height."""
        wanted = list(DEFAULT_METADATA_FIELDS if fields is None else fields)
        unknown = sorted(set(wanted) - METADATA_FIELDS)
        if unknown:
            raise ValueError(f"fields has unknown metadata field(s): {', '.join(unknown)}")
        calls = ["stat", "exif"] if "exif" in wanted else ["stat"]
        params = {field: "true" for field in wanted}
        params.update(self._auth_query(calls, handle=handle))
        response = await self._sender.request(
            "GET", metadata_url(self.config.api_url, handle), params=params, idempotent=True
        )
        return read_model(response, FileMetadata)

    async def download(self, handle: str) -> bytes:
        """The file's bytes (redirects followed)."""
        response = await self._sender.request(
            "GET",
            file_url(self.config.api_url, handle),
            params=self._auth_query(["read"], handle=handle),
            idempotent=True,
            follow_redirects=True,
        )
        return response.content

    async def delete(self, handle: str) -> None:
        """Delete the file (needs the app secret: a ``remove`` policy scoped to the handle)."""
        security = self.security(["remove"], handle=handle)
        if security is None:
            raise FilestackError("deleting files needs the app secret")
        await self._sender.request(
            "DELETE",
            file_url(self.config.api_url, handle),
            params={"key": self.config.api_key, **security.as_query()},
            idempotent=True,
        )

    # ------------------------------------------------------------------
    # Workflows

    @property
    def workflows_api(self) -> WorkflowsApi:
        """The Workflows REST API: workflows, action contracts, jobs, webhook attempts."""
        return self._workflows_api

    async def run_workflow(self, workflow_id: str, source: str) -> WorkflowRun:
        """Start workflow ``workflow_id`` on a handle, external URL or ``src://ALIAS/PATH``.

        Sent once, never retried: each request starts a job.
        """
        handle = source if is_handle(source) else None
        url = run_workflow_url(
            self.config.cdn_url,
            workflow_id,
            source,
            apikey=self.config.api_key,
            security=self.security(WORKFLOW_CALLS, handle=handle),
        )
        response = await self._sender.request("GET", url, idempotent=False)
        return read_model(response, WorkflowRun)

    async def workflow_status(self, jobid: str) -> WorkflowStatus:
        """The job's current status and results."""
        url = workflow_status_url(
            self.config.cdn_url,
            jobid,
            apikey=self.config.api_key,
            security=self.security(WORKFLOW_CALLS),
        )
        response = await self._sender.request("GET", url, idempotent=True)
        return read_model(response, WorkflowStatus)

    async def wait_for_job(
        self,
        jobid: str,
        *,
        interval_s: float = 1.0,
        backoff: float = 1.5,
        max_interval_s: float = 10.0,
        timeout_s: float = 120.0,
        on_update: StatusCallback | None = None,
    ) -> WorkflowStatus:
        """Poll ``workflow_status`` until the job is ``Finished`` and return that status.

        Raises :class:`WorkflowFailed` as soon as the status is ``Failed`` or a task
        reports an error, and :class:`WorkflowTimeout` after ``timeout_s``. The wait
        between polls starts at ``interval_s`` and grows by ``backoff`` up to
        ``max_interval_s``. ``on_update`` (sync or async) receives every status.
        """
        if interval_s <= 0 or max_interval_s <= 0 or timeout_s <= 0:
            raise ValueError("interval_s, max_interval_s and timeout_s must be positive")
        if backoff < 1:
            raise ValueError("backoff must be at least 1")
        check_id("jobid", jobid)
        loop = asyncio.get_running_loop()
        started = loop.time()
        interval = interval_s
        while True:
            status = await self.workflow_status(jobid)
            if on_update is not None:
                outcome = on_update(status)
                if inspect.isawaitable(outcome):
                    await outcome
            if status.failed:
                raise WorkflowFailed(status)
            if status.finished:
                return status
            waited = loop.time() - started
            if waited >= timeout_s:
                raise WorkflowTimeout(jobid, waited, status)
            await asyncio.sleep(min(interval, timeout_s - waited))
            interval = min(interval * backoff, max_interval_s)


def _drop_none(**values: str | None) -> dict[str, str]:
    """The given options without the unset ones."""
    return {key: value for key, value in values.items() if value is not None}
