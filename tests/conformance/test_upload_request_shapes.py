"""Upload API request shapes beyond the plain JSON multipart: intelligent ingestion
(``fii``: chunks of a part with ``offset``, a ``commit`` per part, ``complete`` without
``parts``; Python, JS, Ruby) and PHP's ``multipart/form-data`` bodies, which carry
``store_location`` fields and an empty ``files`` part on every call."""

from __future__ import annotations

from . import media
from .harness import Conformance
from .upload_api import md5_b64, post_json, put_part


def test_intelligent_ingestion_chunks_with_offsets(fs: Conformance) -> None:
    data = media.coffee_jpeg()
    half = len(data) // 2
    common = {"apikey": fs.api_key, "store": {"location": "s3"}}
    start = post_json(
        fs,
        "start",
        {**common, "filename": "fii.jpg", "mimetype": "image/jpeg", "size": len(data), "fii": True},
    )
    assert start.status_code == 200, start.text
    assert start.json().get("upload_type") == "intelligent_ingestion"
    session = {k: start.json()[k] for k in ("uri", "region", "upload_id")}
    for offset, chunk in ((0, data[:half]), (half, data[half:])):
        answer = post_json(
            fs,
            "upload",
            {
                **common,
                **session,
                "part": 1,
                "size": len(chunk),
                "md5": md5_b64(chunk),
                "offset": offset,
                "fii": True,
            },
        )
        put_part(fs, answer, chunk)
    commit = post_json(fs, "commit", {**common, **session, "part": 1, "size": len(data)})
    assert commit.status_code == 200, commit.text
    complete = post_json(
        fs,
        "complete",
        {
            **common,
            **session,
            "filename": "fii.jpg",
            "mimetype": "image/jpeg",
            "size": len(data),
            "fii": True,
        },
    )
    assert complete.status_code == 200, complete.text
    assert fs.stored_bytes(complete.json()["handle"]) == data


def _php_form(
    fields: dict[str, str | int], filename: str
) -> dict[str, tuple[str | None, bytes | str, str | None]]:
    """Guzzle's 'multipart' option as the PHP SDK fills it: each field a part, plus an empty file part."""
    parts: dict[str, tuple[str | None, bytes | str, str | None]] = {
        name: (None, str(value), None) for name, value in fields.items()
    }
    parts["files"] = (filename, b"", "application/octet-stream")
    return parts


def test_php_form_encoded_multipart(fs: Conformance) -> None:
    data = media.astronaut_jpeg()
    base: dict[str, str | int] = {"apikey": fs.api_key, "store_location": "s3"}
    start = fs.http.post(
        "/upload/multipart/start",
        files=_php_form(
            {
                **base,
                "filename": "php.jpg",
                "mimetype": "image/jpeg",
                "size": len(data),
                "store_path": "php/",
            },
            "php.jpg",
        ),
    )
    assert start.status_code == 200, start.text
    session = {k: start.json()[k] for k in ("uri", "region", "upload_id")}
    part = fs.http.post(
        "/upload/multipart/upload",
        files=_php_form({**base, **session, "part": 1, "md5": md5_b64(data), "size": len(data)}, "php.jpg"),
    )
    etag = put_part(fs, part, data)
    complete = fs.http.post(
        "/upload/multipart/complete",
        files=_php_form(
            {
                **base,
                **session,
                "size": len(data),
                "filename": "php.jpg",
                "mimetype": "image/jpeg",
                "parts": f"1:{etag}",
            },
            "php.jpg",
        ),
    )
    assert complete.status_code == 200, complete.text
    body = complete.json()
    handle = body["url"].rsplit("/", 1)[-1]  # PHP takes the handle from the url
    assert handle == body["handle"] and fs.stored_bytes(handle) == data


def test_plain_json_multipart_still_works(fs: Conformance) -> None:
    """The baseline the shapes above extend: Python's JSON start/upload/PUT/complete."""
    from .upload_api import multipart_json

    data = media.astronaut_jpeg()
    answer = multipart_json(fs, data, "plain.jpg", {})
    assert answer.status_code == 200, answer.text
    assert fs.stored_bytes(answer.json()["handle"]) == data
