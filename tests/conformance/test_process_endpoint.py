"""The ``process`` endpoint: URL ingestion with a task list, as Python ``upload_url`` (CDN host),
JS ``storeURL`` (process host, ``/process`` prefix) and Go ``UploadURL`` (``apiKey``) send it.

Real Filestack answers 200 with the stored file's JSON (``handle``, ``url``, ``filename``,
``size``, ``type``, ``key``, ``container``)."""

from __future__ import annotations

from typing import Any

from . import media
from .harness import Conformance


def _check_stored(fs: Conformance, answer: Any, data: bytes) -> dict[str, Any]:
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert fs.stored_bytes(body["handle"]) == data
    assert body["size"] == len(data) and body["type"] == "image/png"
    return dict(body)


def test_python_upload_url_shape_on_the_cdn_host(fs: Conformance) -> None:
    data = media.gradient_png()
    url = fs.origin.put("process-python.png", data, "image/png")
    body = {
        "apikey": fs.api_key,
        "sources": [url],
        "tasks": [{"name": "store", "params": {"location": "S3"}}],
    }
    _check_stored(fs, fs.http.post("/cdn/process", json=body), data)


def test_js_store_url_shape_on_the_process_host(fs: Conformance) -> None:
    data = media.gradient_png()
    url = fs.origin.put("process-js.png", data, "image/png")
    signed = fs.sign(call=["store", "pick"])
    body = {
        "apikey": fs.api_key,
        "sources": [url],
        "upload_tags": {"origin": "conformance"},
        "tasks": [
            {"name": "store", "params": {"location": "s3"}},
            {"name": "security", "params": {"policy": signed.policy, "signature": signed.signature}},
        ],
    }
    stored = _check_stored(fs, fs.http.post("/process/process", json=body), data)
    assert stored["upload_tags"] == {"origin": "conformance"}


def test_go_upload_url_shape_with_camel_case_api_key(fs: Conformance) -> None:
    data = media.gradient_png()
    url = fs.origin.put("process-go.png", data, "image/png")
    body = {
        "apiKey": fs.api_key,
        "sources": [url],
        "tasks": [{"name": "store", "params": {"filename": "go.png"}}],
    }
    stored = _check_stored(fs, fs.http.post("/cdn/process", json=body), data)
    assert stored["filename"] == "go.png"


def test_process_runs_processing_tasks_before_the_store(fs: Conformance) -> None:
    url = fs.origin.put("process-resize.png", media.gradient_png(), "image/png")
    body = {
        "apikey": fs.api_key,
        "sources": [url],
        "tasks": [{"name": "resize", "params": {"width": 40}}, {"name": "store", "params": {}}],
    }
    answer = fs.http.post("/process/process", json=body)
    assert answer.status_code == 200, answer.text
    assert media.decode(fs.stored_bytes(answer.json()["handle"])).size == (40, 30)


def test_process_refuses_a_private_address_not_allowed(fs: Conformance) -> None:
    """The SSRF guard holds on ``process`` too: link-local metadata addresses are never fetched."""
    body = {
        "apikey": fs.api_key,
        "sources": ["http://169.254.169.254/latest/meta-data/"],
        "tasks": [{"name": "store", "params": {}}],
    }
    answer = fs.http.post("/cdn/process", json=body)
    assert answer.status_code in {400, 403}, answer.text
