"""filestack-python (from PyPI, unmodified) against the service, through the host-mapping proxy.

Each test runs one scenario of ``sdk_python.py`` in its own process and checks what a user
of the SDK would notice: the bytes stored, the image delivered, the answer's fields.
"""

from __future__ import annotations

import base64

from PIL import Image

from . import media
from .harness import THUMB_TASKS, Conformance


def _decoded(result: dict, key: str = "content") -> Image.Image:
    return media.decode(base64.b64decode(result[key]))


def test_upload_stores_the_exact_bytes(fs: Conformance) -> None:
    data = media.astronaut_jpeg()
    result = fs.run_python_sdk("upload", path=fs.file_for_sdk("astronaut.jpg", data))
    assert fs.stored_bytes(result["handle"]) == data
    answer = result["upload_response"]
    assert answer["status"] == "Stored" and answer["size"] == len(data)
    assert answer["filename"] == "astronaut.jpg" and answer["mimetype"] == "image/jpeg"


def test_intelligent_upload_stores_the_exact_bytes(fs: Conformance) -> None:
    data = media.coffee_jpeg()
    result = fs.run_python_sdk("upload", path=fs.file_for_sdk("coffee.jpg", data), intelligent=True)
    assert fs.stored_bytes(result["handle"]) == data
    assert result["upload_response"]["size"] == len(data)


def test_upload_with_workflows_starts_them_and_answers_their_job_ids(fs: Conformance) -> None:
    data = media.astronaut_jpeg()
    result = fs.run_python_sdk(
        "upload", path=fs.file_for_sdk("wf.jpg", data), store_params={"workflows": [fs.workflow_id]}
    )
    jobs = workflow_jobs(result["upload_response"])
    assert len(jobs) == 1
    status = fs.wait_for_job(jobs[0])
    assert status["status"] == "Finished" and status["workflow"] == fs.workflow_id
    assert status["sources"] == [result["handle"]]
    thumb = thumbnail_result(status)
    assert media.decode(fs.stored_bytes(thumb)).width == 16


def test_upload_url_stores_the_fetched_bytes(fs: Conformance) -> None:
    data = media.gradient_png()
    url = fs.origin.put("python-upload-url.png", data, "image/png")
    result = fs.run_python_sdk("upload_url", url=url)
    assert fs.stored_bytes(result["handle"]) == data
    assert result["upload_response"]["handle"] == result["handle"]


def test_transform_chain_on_a_handle(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg(), filename="astronaut.jpg")
    result = fs.run_python_sdk("transform", handle=handle, width=64)
    assert result["url"] == f"https://cdn.filestackcontent.com/resize=width:64/flip/{handle}"
    image = _decoded(result)
    assert image.size == (64, 64)
    expected = media.astronaut().resize((64, 64)).transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    assert media.differs(image, expected) < media.differs(image, media.astronaut().resize((64, 64))) / 3


def test_transform_on_an_external_url(fs: Conformance) -> None:
    url = fs.origin.put("python-external.png", media.gradient_png(), "image/png")
    result = fs.run_python_sdk("transform_external", url=url, width=32)
    assert result["url"] == f"https://cdn.filestackcontent.com/{fs.api_key}/resize=width:32/{url}"
    assert _decoded(result).size == (32, 24)


def test_transform_store_with_workflows_starts_a_job_on_the_stored_file(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    result = fs.run_python_sdk("transform_store", handle=handle, width=48, workflows=[fs.workflow_id])
    assert result["url"].endswith(f"/resize=width:48/store=workflows:[{fs.workflow_id}]/{handle}")
    assert media.decode(fs.stored_bytes(result["handle"])).width == 48
    listed = fs.http.get(
        "/workflows-beta/jobs", params={"workflow": fs.workflow_id, "limit": 50}, auth=fs.rest_auth
    )
    assert listed.status_code == 200, listed.text
    started = [job for job in _job_list(listed.json()) if job.get("handle") == result["handle"]]
    assert len(started) == 1


def test_tags_and_sfw(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    result = fs.run_python_sdk("tags_sfw", handle=handle)
    tags = result["tags"]["tags"]
    assert isinstance(tags["auto"], dict) and tags["auto"]
    assert all(isinstance(v, int) and 0 <= v <= 100 for v in tags["auto"].values())
    assert result["sfw"] == {"sfw": True}


def test_metadata(fs: Conformance) -> None:
    data = media.astronaut_jpeg()
    handle = fs.handle_of(data, filename="astronaut.jpg")
    result = fs.run_python_sdk(
        "metadata", handle=handle, attributes=["width", "height", "size", "mimetype", "filename"]
    )
    assert result["metadata"] == {
        "width": 512,
        "height": 512,
        "size": len(data),
        "mimetype": "image/jpeg",
        "filename": "astronaut.jpg",
    }


def test_overwrite_replaces_the_bytes(fs: Conformance) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    new = media.gradient_png()
    result = fs.run_python_sdk("overwrite", handle=handle, path=fs.file_for_sdk("new.png", new))
    assert base64.b64decode(result["content"]) == new
    assert fs.stored_bytes(handle) == new


def test_delete_removes_the_file(fs: Conformance) -> None:
    handle = fs.handle_of(media.gradient_png())
    result = fs.run_python_sdk("delete", handle=handle)
    assert result["deleted"] is True
    assert fs.http.get(f"/cdn/{handle}").status_code == 404


# -- helpers shared with the other workflow tests ------------------------------------------


def workflow_jobs(answer: dict) -> list[str]:
    """Job ids from an upload or store answer's ``workflows`` (ids, or objects with ``jobid``)."""
    listed = answer.get("workflows")
    assert isinstance(listed, list), f"the answer has no 'workflows' list: {answer}"
    jobs = []
    for item in listed:
        if isinstance(item, str):
            jobs.append(item)
        else:
            assert isinstance(item, dict) and isinstance(item.get("jobid"), str), item
            jobs.append(item["jobid"])
    return jobs


def thumbnail_result(status: dict) -> str:
    """The handle the thumbnail workflow's ``thumb`` task stored."""
    result = status["results"]["thumb"]
    data = result.get("data", result)
    handle = data.get("handle") or str(data["url"]).rsplit("/", 1)[-1]
    assert THUMB_TASKS.startswith("resize=width:16")
    return str(handle)


def _job_list(body: object) -> list[dict]:
    if isinstance(body, dict):
        for key in ("jobs", "items", "data"):
            if isinstance(body.get(key), list):
                return list(body[key])
    assert isinstance(body, list), body
    return list(body)
