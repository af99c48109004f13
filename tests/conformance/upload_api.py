"""Upload API requests built by hand in the SDKs' shapes (JSON like Python/JS/Go/Ruby, or
multipart/form-data like PHP), sent straight to the service's ``/upload`` prefix."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import httpx

from .harness import Conformance


def md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def post_json(fs: Conformance, step: str, body: dict[str, Any]) -> httpx.Response:
    return fs.http.post(f"/upload/multipart/{step}", json=body)


def put_part(fs: Conformance, answer: httpx.Response, data: bytes) -> str:
    """PUT ``data`` to the URL ``multipart/upload`` answered; the ETag."""
    assert answer.status_code == 200, answer.text
    target = answer.json()
    put = httpx.put(target["url"], content=data, headers=target.get("headers") or {}, timeout=60)
    assert put.status_code == 200, put.text
    return put.headers["etag"]


def multipart_json(fs: Conformance, data: bytes, filename: str, store: dict[str, Any]) -> httpx.Response:
    """start, one part, complete (Python's and Ruby's shape); the complete answer."""
    common = {"apikey": fs.api_key, "store": {"location": "s3", **store}}
    start = post_json(
        fs, "start", {**common, "filename": filename, "mimetype": "image/jpeg", "size": len(data)}
    )
    assert start.status_code == 200, start.text
    session = {k: start.json()[k] for k in ("uri", "region", "upload_id")}
    part = post_json(fs, "upload", {**common, **session, "part": 1, "size": len(data), "md5": md5_b64(data)})
    etag = put_part(fs, part, data)
    return post_json(
        fs,
        "complete",
        {
            **common,
            **session,
            "filename": filename,
            "mimetype": "image/jpeg",
            "size": len(data),
            "parts": [{"part_number": 1, "etag": etag}],
        },
    )
