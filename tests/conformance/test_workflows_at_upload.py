"""Workflows named at upload time start jobs, and the answer carries their job ids:
``store.workflows`` in multipart ``complete`` (Python/Ruby ``workflows``, the JS picker's
``storeTo.workflows``), and the CDN task ``store=workflows:[…]`` (Python emits ``[id]``,
Ruby ``["id"]``). Real Filestack answers with a ``workflows`` list of job ids."""

from __future__ import annotations

import pytest

from . import media
from .harness import Conformance
from .test_sdk_python import thumbnail_result, workflow_jobs
from .upload_api import multipart_json


def _finished_on(fs: Conformance, jobs: list[str], handle: str) -> None:
    assert len(jobs) == 1
    status = fs.wait_for_job(jobs[0])
    assert status["status"] == "Finished" and status["workflow"] == fs.workflow_id
    assert status["sources"] == [handle]
    assert media.decode(fs.stored_bytes(thumbnail_result(status))).width == 16


def test_multipart_complete_with_store_workflows(fs: Conformance) -> None:
    data = media.astronaut_jpeg()
    answer = multipart_json(fs, data, "wf-multipart.jpg", {"workflows": [fs.workflow_id]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert fs.stored_bytes(body["handle"]) == data
    _finished_on(fs, workflow_jobs(body), body["handle"])


@pytest.mark.parametrize("form", ["[{id}]", '["{id}"]'], ids=["python", "ruby"])
def test_cdn_store_task_with_workflows(fs: Conformance, form: str) -> None:
    handle = fs.handle_of(media.astronaut_jpeg())
    answer = fs.cdn(f"store=workflows:{form.format(id=fs.workflow_id)}/{handle}")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    _finished_on(fs, workflow_jobs(body), body["handle"])
