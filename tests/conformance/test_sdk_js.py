"""filestack-js (pinned, from the npm registry, unmodified) in Node against the service, through
the host-mapping proxy. Each test runs one scenario of ``js/scenarios.cjs`` in its own process."""

from __future__ import annotations

import base64

from . import media
from .harness import Conformance
from .test_sdk_python import thumbnail_result, workflow_jobs


def test_upload_stores_the_exact_bytes(node_sdk: Conformance) -> None:
    data = media.astronaut_jpeg()
    result = node_sdk.run_node_sdk("upload", path=node_sdk.file_for_sdk("js-astronaut.jpg", data))
    assert result["status"] == "Stored"
    assert node_sdk.stored_bytes(result["handle"]) == data
    assert result["size"] == len(data)


def test_upload_answers_the_cdn_url_of_the_file(node_sdk: Conformance) -> None:
    data = media.gradient_png()
    result = node_sdk.run_node_sdk("upload", path=node_sdk.file_for_sdk("js-url.png", data))
    assert result["url"] == f"https://cdn.filestackcontent.com/{result['handle']}"


def test_upload_with_store_workflows_starts_them(node_sdk: Conformance) -> None:
    data = media.astronaut_jpeg()
    result = node_sdk.run_node_sdk(
        "upload", path=node_sdk.file_for_sdk("js-wf.jpg", data), store={"workflows": [node_sdk.workflow_id]}
    )
    jobs = workflow_jobs(result)
    assert len(jobs) == 1
    status = node_sdk.wait_for_job(jobs[0])
    assert status["status"] == "Finished" and status["sources"] == [result["handle"]]
    assert media.decode(node_sdk.stored_bytes(thumbnail_result(status))).width == 16


def test_store_url_stores_the_fetched_bytes(node_sdk: Conformance) -> None:
    data = media.gradient_png()
    url = node_sdk.origin.put("js-store-url.png", data, "image/png")
    result = node_sdk.run_node_sdk("store_url", url=url)
    assert node_sdk.stored_bytes(result["handle"]) == data
    assert result["mimetype"] == "image/png" and result["size"] == len(data)


def test_transform_url_with_a_quoted_url_source(node_sdk: Conformance) -> None:
    url = node_sdk.origin.put("js-transform.png", media.gradient_png(), "image/png")
    result = node_sdk.run_node_sdk("transform_url", url=url, width=40)
    assert result["url"] == f'https://cdn.filestackcontent.com/{node_sdk.api_key}/resize=width:40/"{url}"'
    assert result["status"] == 200, base64.b64decode(result["content"])[:300]
    assert media.decode(base64.b64decode(result["content"])).size == (40, 30)


def test_metadata(node_sdk: Conformance) -> None:
    data = media.astronaut_jpeg()
    handle = node_sdk.handle_of(data, filename="js-meta.jpg")
    result = node_sdk.run_node_sdk(
        "metadata", handle=handle, fields=["width", "height", "size", "mimetype", "filename"]
    )
    assert {k: result[k] for k in ("width", "height", "size", "mimetype", "filename", "handle")} == {
        "width": 512,
        "height": 512,
        "size": len(data),
        "mimetype": "image/jpeg",
        "filename": "js-meta.jpg",
        "handle": handle,
    }


def test_remove_deletes_the_file(node_sdk: Conformance) -> None:
    handle = node_sdk.handle_of(media.gradient_png())
    result = node_sdk.run_node_sdk("remove", handle=handle)
    assert result["removed"]["status"] == 200
    assert result["after"]["ok"] is False and result["after"]["status"] == 404
    assert node_sdk.http.get(f"/cdn/{handle}").status_code == 404
