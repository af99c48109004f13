"""Browser apps on another origin (the JS picker) and Ruby's overwrite.

CORS: a preflight (``OPTIONS`` with ``Origin`` and ``Access-Control-Request-*``) on every
host answers 204/200 with the allowed origin, methods and headers; real answers carry
``Access-Control-Allow-Origin`` and expose the headers the SDKs read (``ETag`` on part PUTs).
Allowed origins are a setting; the default allows the app's own origin and localhost.
"""

from __future__ import annotations

import pytest

from . import media
from .harness import Conformance

APP_ORIGIN = "http://localhost:3000"

PREFLIGHTS = [
    ("/cdn/AAAAAAAAAAAAAAAAAAAA", "GET"),
    ("/www/api/file/AAAAAAAAAAAAAAAAAAAA/metadata", "GET"),
    ("/www/api/store/S3", "POST"),
    ("/upload/multipart/start", "POST"),
    ("/upload/multipart/part/u/1", "PUT"),
    ("/process/process", "POST"),
    ("/workflows-beta/jobs", "POST"),
]


@pytest.mark.parametrize(("path", "method"), PREFLIGHTS, ids=[p for p, _ in PREFLIGHTS])
def test_preflight(fs: Conformance, path: str, method: str) -> None:
    answer = fs.http.options(
        path,
        headers={
            "Origin": APP_ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,filestack-source,filestack-trace-id,filestack-trace-span",
        },
    )
    assert answer.status_code in {200, 204}, answer.text
    assert answer.headers.get("access-control-allow-origin") == APP_ORIGIN
    assert method in answer.headers.get("access-control-allow-methods", "")
    allowed = answer.headers.get("access-control-allow-headers", "").lower()
    assert all(h in allowed for h in ("content-type", "filestack-source", "filestack-trace-id"))


def test_answers_carry_the_allowed_origin_and_expose_etag(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    answer = fs.http.get(f"/cdn/{handle}", headers={"Origin": APP_ORIGIN})
    assert answer.headers.get("access-control-allow-origin") == APP_ORIGIN
    assert "etag" in answer.headers.get("access-control-expose-headers", "").lower()


def test_an_origin_not_allowed_gets_no_cors_grant(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    answer = fs.http.get(f"/cdn/{handle}", headers={"Origin": "https://elsewhere.example"})
    assert answer.status_code == 200
    assert answer.headers.get("access-control-allow-origin") not in {"https://elsewhere.example", "*"}


def test_put_overwrites_like_ruby(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    signed = fs.sign(call=["write"], handle=handle)
    new = media.gradient_png()
    answer = fs.http.put(
        f"/www/api/file/{handle}",
        params={"key": fs.api_key, **signed.query},
        content=new,
        headers={"Content-Type": "image/png"},
    )
    assert answer.status_code == 200, answer.text
    assert fs.stored_bytes(handle) == new
