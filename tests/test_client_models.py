"""Response models: reference samples, derived handles and workflow result shapes."""

from __future__ import annotations

import pytest
from filestack_fakes import SEED_RUN, SEED_STATUS
from pydantic import ValidationError

from dashboard.filestack import (
    CompleteResponse,
    FileMetadata,
    StoreResponse,
    WorkflowRun,
    WorkflowStatus,
)


def test_store_response_derives_handle_and_mimetype() -> None:
    stored = StoreResponse.model_validate(
        {
            "url": "https://cdn.filestackcontent.com/s7tdGfE5RRKFUxwsZoYv",
            "size": 8331,
            "type": "image/png",
            "filename": "watermark.png",
            "key": "a1RyBxiglW92bS2SRmqM_watermark.png",
        }
    )
    assert stored.handle == "s7tdGfE5RRKFUxwsZoYv"
    assert stored.mimetype == stored.type == "image/png"
    assert stored.size == 8331 and stored.container is None


def test_store_response_keeps_given_handle_and_extras() -> None:
    stored = StoreResponse.model_validate(
        {
            "url": "http://127.0.0.1:8000/cdn/AAAAAAAAAAAAAAAAAAAA",
            "handle": "BBBBBBBBBBBBBBBBBBBB",
            "mimetype": "image/jpeg",
            "width": 10,
            "height": 20,
            "region": "local",
        }
    )
    assert stored.handle == "BBBBBBBBBBBBBBBBBBBB"
    assert stored.type == "image/jpeg"
    assert (stored.width, stored.height) == (10, 20)
    assert stored.model_extra == {"region": "local"}


def test_complete_response_observed_sample() -> None:
    complete = CompleteResponse.model_validate(
        {
            "handle": "Hx9BSDLrSPiQHsuS1pGE",
            "url": "https://cdn.filestackcontent.com/Hx9BSDLrSPiQHsuS1pGE",
            "filename": "big.bin",
            "size": 12_000_000,
            "mimetype": "application/octet-stream",
            "key": "Hx9_big.bin",
            "container": "bucket",
            "status": "Stored",
            "workflows": [{"id": "w", "jobid": "j"}],
        }
    )
    assert complete.status == "Stored"
    assert complete.workflows == [{"id": "w", "jobid": "j"}]


def test_workflow_run_seed_example() -> None:
    run = WorkflowRun.model_validate(SEED_RUN)
    assert run.jobid == "7dba00f5-aee2-4f65-bd16-631e626b3c93"
    assert run.created_at == "2019-10-24T20:50:38.695634422Z"
    assert run.status == "Started" and run.sources == ["pR4oeS63QLmYIFNs2ZvZ"]
    assert run.model_dump(by_alias=True)["updatedAt"] == SEED_RUN["updatedAt"]


def test_workflow_status_seed_example() -> None:
    status = WorkflowStatus.model_validate(SEED_STATUS)
    assert status.finished and not status.failed
    assert status.ttl == 172800
    tags = status.results["tags_1571950225779"]
    assert tags.data["tags"]["auto"]["symbol"] == 99
    assert status.stored_files() == []
    assert status.final_url() is None


def test_stored_files_reads_both_result_shapes() -> None:
    status = WorkflowStatus.model_validate(
        {
            "jobid": "j1",
            "status": "Finished",
            "results": {
                "sfw_1": {"data": {"sfw": True}},
                "process_1700000000000": {
                    "url": "https://cdn.filestackcontent.com/resize=width:400/pR4oeS63QLmYIFNs2ZvZ",
                    "mimetype": "image/jpeg",
                    "size": 1234,
                },
                "store_1700000000001": {
                    "data": {
                        "url": "https://cdn.filestackcontent.com/NEWxHANDLEx0123456789",
                        "filename": "me.jpg",
                        "size": 999,
                        "type": "image/jpeg",
                        "key": "profiles/NEW_me.jpg",
                        "container": "bucket",
                    }
                },
            },
        }
    )
    files = status.stored_files()
    assert [f.task for f in files] == ["process_1700000000000", "store_1700000000001"]
    processed, stored = files
    assert processed.handle == "pR4oeS63QLmYIFNs2ZvZ" and processed.size == 1234 and not processed.is_stored
    assert stored.handle == "NEWxHANDLEx0123456789" and stored.mimetype == "image/jpeg" and stored.is_stored
    assert status.final_url() == "https://cdn.filestackcontent.com/NEWxHANDLEx0123456789"
    assert status.final_url(prefer_task="process") == processed.url
    assert status.final_url(prefer_task="process_1700000000000") == processed.url
    assert status.final_url(prefer_task="missing") == stored.url


def test_stored_files_keeps_explicit_handle() -> None:
    status = WorkflowStatus.model_validate(
        {
            "jobid": "j",
            "status": "Finished",
            "results": {
                "store": {"data": {"url": "http://127.0.0.1:8000/cdn/x", "handle": "HHHHHHHHHHHHHHHHHHHH"}}
            },
        }
    )
    assert status.stored_files()[0].handle == "HHHHHHHHHHHHHHHHHHHH"


@pytest.mark.parametrize(
    ("payload", "failed"),
    [
        ({"jobid": "j", "status": "Failed"}, True),
        ({"jobid": "j", "status": "failed", "results": None}, True),
        ({"jobid": "j", "status": "Started", "results": {"sfw": {"error": "image too large"}}}, True),
        ({"jobid": "j", "status": "Finished", "results": {"sfw": {"data": {}, "error": None}}}, False),
        ({"jobid": "j", "status": "Pending"}, False),
    ],
)
def test_failed(payload: dict, failed: bool) -> None:  # type: ignore[type-arg]
    status = WorkflowStatus.model_validate(payload)
    assert status.failed is failed
    assert not status.finished or payload["status"] == "Finished"


def test_task_result_keeps_extra_keys() -> None:
    status = WorkflowStatus.model_validate(
        {"jobid": "j", "status": "Started", "results": {"t": {"data": {"a": 1}, "took_ms": 12}}}
    )
    assert status.results["t"].model_extra == {"took_ms": 12}


def test_file_metadata_all_optional() -> None:
    meta = FileMetadata.model_validate(
        {"size": 10, "mimetype": "image/png", "uploaded": 1.5e12, "writeable": True, "md5": "abc", "foo": 1}
    )
    assert meta.size == 10 and meta.width is None and meta.model_extra == {"foo": 1}
    assert FileMetadata.model_validate({}).size is None


def test_required_fields_are_enforced() -> None:
    with pytest.raises(ValidationError):
        WorkflowRun.model_validate({"status": "Started"})
    with pytest.raises(ValidationError):
        StoreResponse.model_validate({"filename": "x"})
