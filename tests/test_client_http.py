"""The File API calls, SDK headers, retries and typed errors."""

from __future__ import annotations

import re

import httpx
import pytest
from filestack_fakes import API, API_KEY, HANDLE, SECRET, decode_policy, make_client, query

from dashboard.filestack import (
    ClientConfig,
    FilestackAuthError,
    FilestackBadRequest,
    FilestackClient,
    FilestackConnectionError,
    FilestackError,
    FilestackHTTPError,
    FilestackNotFound,
    FilestackRateLimited,
    FilestackServerError,
    FilestackTimeout,
)

METADATA = {
    "size": 8331,
    "mimetype": "image/png",
    "filename": "me.png",
    "width": 640,
    "height": 480,
    "uploaded": 1700000000000.0,
    "writeable": True,
    "location": "S3",
    "path": None,
    "container": "bucket",
}
INVALID_POLICY = {"error": "Invalid App policy", "c": "5b1c0c4e-7b0b", "i": "UPL-eu-w-1-10", "t": 1508161263}


def _sequence(*responses: httpx.Response):  # type: ignore[no-untyped-def]
    answers = iter(responses)
    return lambda request: next(answers)


# ---------------------------------------------------------------------------
# File API


@pytest.mark.asyncio
async def test_metadata_request_and_response() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json=METADATA))
    async with client:
        meta = await client.metadata(HANDLE)
    assert meta.width == 640 and meta.mimetype == "image/png" and meta.writeable is True
    (request,) = recorder.requests
    assert request.method == "GET"
    assert str(request.url).startswith(
        f"{API}/api/file/{HANDLE}/metadata?size=true&mimetype=true&filename=true&width=true"
    )
    params = query(request)
    assert decode_policy(params.pop("policy")) == {
        "call": ["stat"],
        "expiry": 1_700_000_300,
        "handle": HANDLE,
    }
    params.pop("signature")
    assert params == {
        f: "true"
        for f in (
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
    }


@pytest.mark.asyncio
async def test_metadata_fields() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json={"md5": "abc", "exif": {"Make": "X"}}))
    async with client:
        meta = await client.metadata(HANDLE, ["md5", "exif"])
        assert meta.md5 == "abc" and meta.exif == {"Make": "X"}
        with pytest.raises(ValueError, match="colour"):
            await client.metadata(HANDLE, ["colour"])
        with pytest.raises(ValueError, match="handle"):
            await client.metadata("../../etc", ["size"])
    params = query(recorder.requests[0])
    assert decode_policy(params["policy"])["call"] == ["exif", "stat"]
    assert {k: v for k, v in params.items() if v == "true"} == {"md5": "true", "exif": "true"}


@pytest.mark.asyncio
async def test_download_follows_redirects() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "www.filestackapi.com":
            return httpx.Response(302, headers={"Location": f"https://cdn.filestackcontent.com/{HANDLE}"})
        return httpx.Response(200, content=b"file-bytes")

    client, recorder = make_client(handler)
    async with client:
        assert await client.download(HANDLE) == b"file-bytes"
    assert recorder.requests[0].url.path == f"/api/file/{HANDLE}"
    assert decode_policy(query(recorder.requests[0])["policy"])["call"] == ["read"]


@pytest.mark.asyncio
async def test_delete_request() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, text="success"))
    async with client:
        assert await client.delete(HANDLE) is None
    (request,) = recorder.requests
    assert request.method == "DELETE" and request.url.path == f"/api/file/{HANDLE}"
    params = query(request)
    assert params["key"] == API_KEY and set(params) == {"key", "policy", "signature"}
    assert decode_policy(params["policy"]) == {"call": ["remove"], "expiry": 1_700_000_300, "handle": HANDLE}


@pytest.mark.asyncio
async def test_delete_needs_the_secret() -> None:
    client, recorder = make_client(secret=None)
    async with client:
        with pytest.raises(FilestackError, match="deleting files needs the app secret"):
            await client.delete(HANDLE)
    assert recorder.requests == []


# ---------------------------------------------------------------------------
# Headers


@pytest.mark.asyncio
async def test_sdk_headers() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json=METADATA))
    async with client:
        await client.metadata(HANDLE)
        await client.metadata(HANDLE)
    first, second = recorder.requests
    assert re.fullmatch(r"profile-dashboard-filestack/\d+\.\d+\.\d+", first.headers["User-Agent"])
    assert re.fullmatch(r"Python-\d+\.\d+\.\d+", first.headers["Filestack-Source"])
    assert re.fullmatch(r"\d{10}-[A-Z0-9]{10}", first.headers["Filestack-Trace-Id"])
    assert re.fullmatch(r"pythonsdk-[A-Z0-9]{10}", first.headers["Filestack-Trace-Span"])
    assert first.headers["Filestack-Trace-Span"] != second.headers["Filestack-Trace-Span"]


# ---------------------------------------------------------------------------
# Retries


@pytest.mark.asyncio
async def test_get_503_twice_then_200_succeeds() -> None:
    client, recorder = make_client(
        _sequence(
            httpx.Response(503, text="Service Unavailable"),
            httpx.Response(503, json={"error": "busy"}),
            httpx.Response(200, json=METADATA),
        )
    )
    async with client:
        meta = await client.metadata(HANDLE)
    assert meta.size == 8331 and len(recorder.requests) == 3


@pytest.mark.asyncio
async def test_retries_are_bounded() -> None:
    client, recorder = make_client(lambda r: httpx.Response(500, json={"error": "boom"}), retries=2)
    async with client:
        with pytest.raises(FilestackServerError, match="boom") as info:
            await client.metadata(HANDLE)
    assert info.value.status == 500 and len(recorder.requests) == 3


@pytest.mark.asyncio
async def test_429_and_connection_errors_are_retried() -> None:
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls["n"] == 2:
            return httpx.Response(429, json={"error": "rate limited"}, headers={"Filestack-Reset": "1"})
        return httpx.Response(200, json=METADATA)

    client, _ = make_client(handler)
    async with client:
        await client.metadata(HANDLE)
    assert calls["n"] == 3


@pytest.mark.asyncio
async def test_timeouts_become_filestack_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, recorder = make_client(handler, retries=1, timeout_s=2)
    async with client:
        with pytest.raises(FilestackTimeout, match="timed out after 2s") as info:
            await client.download(HANDLE)
    assert len(recorder.requests) == 2
    assert "signature=***" in info.value.url and SECRET not in str(info.value)


@pytest.mark.asyncio
async def test_connection_error_after_retries() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name resolution failed", request=request)

    client, recorder = make_client(handler, retries=0)
    async with client:
        with pytest.raises(FilestackConnectionError, match="name resolution failed"):
            await client.metadata(HANDLE)
    assert len(recorder.requests) == 1


# ---------------------------------------------------------------------------
# Typed errors


@pytest.mark.asyncio
async def test_403_json_body_ends_up_in_the_error() -> None:
    client, recorder = make_client(lambda r: httpx.Response(403, json=INVALID_POLICY))
    async with client:
        with pytest.raises(FilestackAuthError) as info:
            await client.metadata(HANDLE)
    error = info.value
    assert isinstance(error, FilestackHTTPError)
    assert error.status == 403 and error.body == INVALID_POLICY and error.message == "Invalid App policy"
    assert len(recorder.requests) == 1
    text = str(error)
    assert text.startswith(f"HTTP 403 from GET {API}/api/file/{HANDLE}/metadata?")
    assert text.endswith(": Invalid App policy")
    signature = query(recorder.requests[0])["signature"]
    assert signature not in text and signature not in repr(error) and "signature=***" in text


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, FilestackBadRequest),
        (401, FilestackAuthError),
        (404, FilestackNotFound),
        (413, FilestackBadRequest),
        (415, FilestackBadRequest),
        (422, FilestackBadRequest),
        (429, FilestackRateLimited),
        (502, FilestackServerError),
        (418, FilestackHTTPError),
    ],
)
@pytest.mark.asyncio
async def test_status_classes(status: int, cls: type[FilestackHTTPError]) -> None:
    client, _ = make_client(lambda r: httpx.Response(status, text="plain text reason"), retries=0)
    async with client:
        with pytest.raises(cls) as info:
            await client.metadata(HANDLE)
    assert type(info.value) is cls
    assert info.value.status == status and info.value.body == "plain text reason"
    assert info.value.message == "plain text reason"


@pytest.mark.asyncio
async def test_4xx_is_not_retried() -> None:
    client, recorder = make_client(lambda r: httpx.Response(404, json={"error": "File not found"}))
    async with client:
        with pytest.raises(FilestackNotFound, match="File not found"):
            await client.download(HANDLE)
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_no_secret_or_signature_in_any_message() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        signature = request.url.params.get("signature", "")
        return httpx.Response(
            403,
            json={
                "error": f"bad signature:{signature} for secret {SECRET}; "
                f'(signature: "{signature}"; policy "x")'
            },
        )

    client, recorder = make_client(echo, retries=0)
    async with client:
        for call in (
            client.metadata(HANDLE),
            client.download(HANDLE),
            client.delete(HANDLE),
            client.upload(b"x", filename="a"),
            client.workflow_status("job-1"),
            client.run_workflow("wf-1", HANDLE),
        ):
            with pytest.raises(FilestackHTTPError) as info:
                await call
            signatures = {r.url.params.get("signature") for r in recorder.requests} - {None}
            for text in (str(info.value), repr(info.value), info.value.message, info.value.url):
                assert SECRET not in text
                assert not any(s in text for s in signatures)
                assert not re.search(r"s:[0-9a-f]{64}", text)


def test_config_never_shows_the_secret() -> None:
    config = ClientConfig(api_key=API_KEY, app_secret=SECRET)
    client = FilestackClient(config)
    for text in (repr(config), str(config), config.model_dump_json(), str(config.model_dump()), repr(client)):
        assert SECRET not in text
    assert config.app_secret is not None and config.app_secret.get_secret_value() == SECRET


def test_embedded_config() -> None:
    config = ClientConfig.embedded("http://127.0.0.1:8000/", api_key="LOCALKEY", app_secret="s", retries=1)
    assert (config.cdn_url, config.api_url, config.upload_url, config.workflows_url) == (
        "http://127.0.0.1:8000/cdn",
        "http://127.0.0.1:8000/www",
        "http://127.0.0.1:8000/upload",
        "http://127.0.0.1:8000/workflows-beta",
    )
    assert config.retries == 1 and config.timeout_s == 30 and config.policy_ttl_s == 300
    with pytest.raises(ValueError):
        ClientConfig(api_key="k", cdn_url="cdn.example.com")


@pytest.mark.asyncio
async def test_client_owns_only_the_http_client_it_made() -> None:
    shared = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: httpx.Response(200, json=METADATA)))
    async with FilestackClient(ClientConfig(api_key="k"), http=shared) as client:
        await client.metadata(HANDLE)
    assert not shared.is_closed
    await shared.aclose()
    with pytest.raises(ValueError):
        FilestackClient(ClientConfig(api_key="k"), http=shared, transport=httpx.MockTransport(lambda r: None))  # type: ignore[arg-type, return-value]
