"""Uploads: the simple File API store, store from a URL, and the multipart flow."""

from __future__ import annotations

import base64
import hashlib

import httpx
import pytest
from filestack_fakes import API, API_KEY, UPLOAD, decode_policy, json_body, make_client, query

from dashboard.filestack import FilestackError, FilestackResponseError, FilestackServerError

MiB = 1024 * 1024
STORE_SAMPLE = {
    "url": "https://cdn.filestackcontent.com/s7tdGfE5RRKFUxwsZoYv",
    "size": 8331,
    "type": "image/png",
    "filename": "watermark.png",
    "key": "a1RyBxiglW92bS2SRmqM_watermark.png",
}


@pytest.mark.asyncio
async def test_simple_store_request() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json=STORE_SAMPLE))
    data = b"\x89PNG fake image bytes"
    async with client:
        stored = await client.upload(data, filename="watermark.png")
    assert stored.handle == "s7tdGfE5RRKFUxwsZoYv" and stored.mimetype == "image/png"
    (request,) = recorder.requests
    assert request.method == "POST"
    assert f"{request.url.scheme}://{request.url.host}{request.url.path}" == f"{API}/api/store/S3"
    params = query(request)
    assert params.pop("key") == API_KEY and params.pop("filename") == "watermark.png"
    policy = decode_policy(params.pop("policy"))
    assert policy == {"call": ["store"], "expiry": 1_700_000_300}
    assert len(params.pop("signature")) == 64 and params == {}
    assert request.content == data
    assert request.headers["Content-Type"] == "image/png"


@pytest.mark.asyncio
async def test_simple_store_options_without_secret() -> None:
    client, recorder = make_client(
        lambda r: httpx.Response(200, json=STORE_SAMPLE), secret=None, api_url="http://127.0.0.1:8000/www"
    )
    async with client:
        await client.upload(
            b"abc",
            filename="notes",
            mimetype="text/plain",
            path="profiles/",
            container="bucket",
            access="public",
        )
    request = recorder.requests[0]
    assert str(request.url).startswith("http://127.0.0.1:8000/www/api/store/S3?")
    assert query(request) == {
        "key": API_KEY,
        "filename": "notes",
        "path": "profiles/",
        "container": "bucket",
        "access": "public",
    }
    assert request.headers["Content-Type"] == "text/plain"


@pytest.mark.asyncio
async def test_simple_store_is_never_retried() -> None:
    client, recorder = make_client(lambda r: httpx.Response(503, json={"error": "upstream down"}))
    async with client:
        with pytest.raises(FilestackServerError, match="upstream down"):
            await client.upload(b"abc", filename="a.txt")
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_simple_store_connection_error_is_not_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client, recorder = make_client(refuse)
    async with client:
        with pytest.raises(FilestackError, match="could not connect"):
            await client.upload(b"abc", filename="a.txt")
    assert len(recorder.requests) == 1


@pytest.mark.asyncio
async def test_upload_checks_arguments() -> None:
    client, _ = make_client()
    async with client:
        with pytest.raises(ValueError, match="empty"):
            await client.upload(b"", filename="a.txt")
        with pytest.raises(ValueError, match="access"):
            await client.upload(b"a", filename="a.txt", access="world")


@pytest.mark.asyncio
async def test_upload_url_sends_form_field() -> None:
    client, recorder = make_client(lambda r: httpx.Response(200, json=STORE_SAMPLE))
    async with client:
        stored = await client.upload_url("https://example.com/logo.png", filename="logo.png")
    assert stored.handle == "s7tdGfE5RRKFUxwsZoYv"
    request = recorder.requests[0]
    assert request.url.path == "/api/store/S3"
    assert query(request)["filename"] == "logo.png" and "policy" in query(request)
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.content == b"url=https%3A%2F%2Fexample.com%2Flogo.png"
    with pytest.raises(ValueError, match="url"):
        await client.upload_url("ftp://example.com/x")


@pytest.mark.asyncio
async def test_malformed_store_response() -> None:
    client, _ = make_client(lambda r: httpx.Response(200, text="<html>oops</html>"))
    async with client:
        with pytest.raises(FilestackResponseError, match="expected JSON"):
            await client.upload(b"abc", filename="a.txt")


# ---------------------------------------------------------------------------
# Multipart


class FakeMultipart:
    """Answers start / upload / PUT / complete like Filestack's Upload API and S3."""

    def __init__(
        self, location_url: str = "upload-eu-west-1.filestackapi.com", pending: int = 0, put_failures: int = 0
    ) -> None:
        self.location_url = location_url
        self.pending = pending
        self.put_failures = put_failures
        self.calls: list[tuple[str, httpx.Request]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            self.calls.append(("put", request))
            if self.put_failures:
                self.put_failures -= 1
                return httpx.Response(503)
            part = request.url.params["partNumber"]
            return httpx.Response(200, headers={"ETag": f'"etag-{part}"'})
        step = request.url.path.rsplit("/", 1)[-1]
        self.calls.append((step, request))
        body = json_body(request)
        if step == "start":
            return httpx.Response(
                200,
                json={
                    "uri": "/bucket/abc_big.bin",
                    "region": "eu-west-1",
                    "upload_id": "UPLOAD-ID",
                    "location_url": self.location_url,
                    "location_region": "eu-west-1",
                },
            )
        if step == "upload":
            return httpx.Response(
                200,
                json={
                    "url": f"https://s3.example.com/bucket/abc_big.bin?partNumber={body['part']}&X-Amz-Signature=zz",
                    "headers": {"Authorization": "AWS4-HMAC-SHA256 Credential=x", "Content-MD5": body["md5"]},
                },
            )
        if step == "complete":
            if self.pending:
                self.pending -= 1
                return httpx.Response(202, json={})
            return httpx.Response(
                200,
                json={
                    "handle": "Hx9BSDLrSPiQHsuS1pGE",
                    "url": "https://cdn.filestackcontent.com/Hx9BSDLrSPiQHsuS1pGE",
                    "filename": body["filename"],
                    "size": body["size"],
                    "mimetype": body["mimetype"],
                    "key": "abc_big.bin",
                    "container": "bucket",
                    "status": "Stored",
                },
            )
        return httpx.Response(404, json={"error": "no route"})

    def of(self, step: str) -> list[httpx.Request]:
        return [request for name, request in self.calls if name == step]


def _data(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


@pytest.mark.asyncio
async def test_multipart_upload_of_12_mb() -> None:
    fake = FakeMultipart()
    client, _ = make_client(fake)
    data = _data(12 * 1000 * 1000)
    async with client:
        stored = await client.upload(data, filename="big.bin", multipart_threshold=5 * MiB, part_size=5 * MiB)
    assert stored.handle == "Hx9BSDLrSPiQHsuS1pGE" and stored.size == len(data)
    assert stored.model_extra and stored.model_extra["status"] == "Stored"

    (start,) = fake.of("start")
    assert str(start.url) == f"{UPLOAD}/multipart/start"
    start_body = json_body(start)
    policy = decode_policy(start_body.pop("policy"))
    assert policy["call"] == ["store"]
    assert len(start_body.pop("signature")) == 64
    assert start_body == {
        "apikey": API_KEY,
        "store": {"location": "S3"},
        "filename": "big.bin",
        "mimetype": "application/octet-stream",
        "size": len(data),
    }

    chunks = [data[0 : 5 * MiB], data[5 * MiB : 10 * MiB], data[10 * MiB :]]
    uploads = sorted(fake.of("upload"), key=lambda r: json_body(r)["part"])
    assert len(uploads) == 3
    for number, (request, chunk) in enumerate(zip(uploads, chunks), start=1):
        assert str(request.url) == "https://upload-eu-west-1.filestackapi.com/multipart/upload"
        assert request.headers["Filestack-Upload-Region"] == "eu-west-1"
        body = json_body(request)
        assert body["part"] == number and body["size"] == len(chunk)
        assert body["md5"] == base64.b64encode(hashlib.md5(chunk).digest()).decode()
        assert (body["uri"], body["region"], body["upload_id"]) == (
            "/bucket/abc_big.bin",
            "eu-west-1",
            "UPLOAD-ID",
        )
        assert body["apikey"] == API_KEY and body["store"] == {"location": "S3"}

    puts = sorted(fake.of("put"), key=lambda r: int(r.url.params["partNumber"]))
    assert [request.content for request in puts] == chunks
    for request, chunk in zip(puts, chunks):
        assert request.headers["Authorization"] == "AWS4-HMAC-SHA256 Credential=x"
        assert request.headers["Content-MD5"] == base64.b64encode(hashlib.md5(chunk).digest()).decode()
        assert "Filestack-Trace-Id" not in request.headers

    (complete,) = fake.of("complete")
    assert fake.calls[-1][0] == "complete"
    body = json_body(complete)
    assert str(complete.url) == "https://upload-eu-west-1.filestackapi.com/multipart/complete"
    assert body["parts"] == [{"part_number": n, "etag": f'"etag-{n}"'} for n in (1, 2, 3)]
    assert body["upload_id"] == "UPLOAD-ID" and body["size"] == len(data) and body["filename"] == "big.bin"


@pytest.mark.asyncio
async def test_multipart_on_the_embedded_service_keeps_http() -> None:
    fake = FakeMultipart(location_url="127.0.0.1:8000/upload")
    client, _ = make_client(fake, secret=None, upload_url="http://127.0.0.1:8000/upload")
    async with client:
        await client.upload(_data(2500), filename="a.jpg", multipart_threshold=1000, part_size=1000)
    assert str(fake.of("start")[0].url) == "http://127.0.0.1:8000/upload/multipart/start"
    assert {str(r.url) for r in fake.of("upload")} == {"http://127.0.0.1:8000/upload/multipart/upload"}
    assert len(fake.of("put")) == 3
    complete = json_body(fake.of("complete")[0])
    assert "policy" not in complete and complete["mimetype"] == "image/jpeg"


@pytest.mark.asyncio
async def test_multipart_location_with_scheme_is_used_as_is() -> None:
    fake = FakeMultipart(location_url="https://upload-us.example.com/")
    client, _ = make_client(fake)
    async with client:
        await client.upload(_data(10), filename="a.bin", multipart_threshold=5, part_size=6)
    assert str(fake.of("complete")[0].url) == "https://upload-us.example.com/multipart/complete"


@pytest.mark.asyncio
async def test_multipart_complete_202_is_asked_again() -> None:
    fake = FakeMultipart(pending=2)
    client, _ = make_client(fake)
    async with client:
        stored = await client.upload(_data(10), filename="a.bin", multipart_threshold=5, part_size=5)
    assert stored.handle == "Hx9BSDLrSPiQHsuS1pGE"
    assert len(fake.of("complete")) == 3


@pytest.mark.asyncio
async def test_multipart_complete_202_is_bounded() -> None:
    fake = FakeMultipart(pending=10_000)
    client, _ = make_client(fake)
    async with client:
        with pytest.raises(FilestackError, match="not completed"):
            await client.upload(_data(10), filename="a.bin", multipart_threshold=5, part_size=5)
    assert 1 < len(fake.of("complete")) < 100


@pytest.mark.asyncio
async def test_multipart_part_put_is_retried() -> None:
    fake = FakeMultipart(put_failures=2)
    client, _ = make_client(fake)
    async with client:
        await client.upload(_data(10), filename="a.bin", multipart_threshold=5, part_size=10)
    assert len(fake.of("put")) == 3
    assert json_body(fake.of("complete")[0])["parts"] == [{"part_number": 1, "etag": '"etag-1"'}]
