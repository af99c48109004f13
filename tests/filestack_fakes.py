"""Helpers for the Filestack client tests: a recording mock transport and a client factory."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx

from dashboard.filestack import ClientConfig, FilestackClient

API_KEY = "At39kDB2eTYCbxuESgayWs"
SECRET = "app-secret-4f1c9a7e"
HANDLE = "pR4oeS63QLmYIFNs2ZvZ"
NOW = 1_700_000_000.0
CDN = "https://cdn.filestackcontent.com"
API = "https://www.filestackapi.com"
UPLOAD = "https://upload.filestackapi.com"

#: The workflow_status example response of the Workflows API docs (seed 001).
SEED_STATUS = {
    "createdAt": "2019-10-24T20:59:41.345362491Z",
    "jobid": "5aef4e90-4c6c-4779-ac8b-289cff108792",
    "results": {
        "tags_1571950225779": {
            "data": {
                "tags": {
                    "auto": {"abstract": 89, "business": 90, "design": 97, "symbol": 99},
                    "user": None,
                }
            }
        }
    },
    "sources": ["https://www.google.com/images/branding/googlelogo/2x/googlelogo_color_272x92dp.png"],
    "status": "Finished",
    "ttl": 172800,
    "updatedAt": "2019-10-24T20:59:42.263798729Z",
    "workflow": "67d273c3-249c-4192-b228-9c3e1d003023",
}

#: The run_workflow example response (seed 001).
SEED_RUN = {
    "createdAt": "2019-10-24T20:50:38.695634422Z",
    "jobid": "7dba00f5-aee2-4f65-bd16-631e626b3c93",
    "sources": ["pR4oeS63QLmYIFNs2ZvZ"],
    "status": "Started",
    "updatedAt": "2019-10-24T20:50:38.695634422Z",
    "workflow": "67d273c3-249c-4192-b228-9c3e1d003963",
}

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock transport handler that keeps every request it answers."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


async def no_sleep(_seconds: float) -> None:
    """Retries and 202 waits return at once in tests."""


def unexpected(request: httpx.Request) -> httpx.Response:
    """A handler for tests that must not send any request."""
    raise AssertionError(f"unexpected request {request.method} {request.url}")


def make_client(
    handler: Handler = unexpected, *, secret: str | None = SECRET, **options: Any
) -> tuple[FilestackClient, Recorder]:
    """A client on real Filestack base URLs whose requests go to ``handler``."""
    recorder = Recorder(handler)
    config = ClientConfig(api_key=API_KEY, app_secret=secret, **options)
    client = FilestackClient(
        config, transport=httpx.MockTransport(recorder), sleep=no_sleep, clock=lambda: NOW
    )
    return client, recorder


def decode_policy(policy_b64: str) -> dict[str, Any]:
    """The JSON object inside a policy string."""
    return json.loads(base64.urlsafe_b64decode(policy_b64))


def json_body(request: httpx.Request) -> Any:
    """The request's JSON body."""
    return json.loads(request.content)


def query(request: httpx.Request) -> dict[str, str]:
    """The request's query parameters (one value each)."""
    return dict(request.url.params)


def path_of(request: httpx.Request) -> str:
    """The request path, percent-decoded, as the server sees it."""
    return request.url.path
