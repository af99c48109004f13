"""Plain words about photos, which failures a retry could fix, links refused before and by the service,
and the slot's phases (pure parts, plus links against the embedded service in-process)."""

from __future__ import annotations

import pytest
from app_env import Person, env  # noqa: F401  (fixture)

from dashboard import photo_links, profile_store
from dashboard.filestack.errors import FilestackHTTPError
from dashboard.photo_checks import ACCEPTED_FORMATS
from dashboard.photo_messages import accepted_formats_text, describe_failure, refusal_message, task_label
from dashboard.slot_phase import SlotEvent, SlotPhase, advance

MB = 1024 * 1024


def test_formats_named_are_the_formats_accepted() -> None:
    text = accepted_formats_text()
    assert text.startswith("JPEG, PNG, WebP, GIF")
    assert ("HEIC" in text) == ("HEIF" in ACCEPTED_FORMATS)
    assert accepted_formats_text(["JPEG", "PNG"]) == "JPEG or PNG"


def test_refusals_from_the_browser_say_why_in_plain_words() -> None:
    big = refusal_message(
        {"name": "holiday.heic", "size": 30 * MB, "type": "image/heic", "codes": ["file-too-large"]}, 25 * MB
    )
    assert big == "holiday.heic is 30.0 MB; the largest photo you can use is 25.0 MB."
    kind = refusal_message(
        {"name": "cv.pdf", "size": 900, "type": "application/pdf", "codes": ["file-invalid-type"]}, 25 * MB
    )
    assert kind == f"cv.pdf is not a photo we can use. Choose a {accepted_formats_text()} image."
    assert "image/" not in kind and ".jpg" not in kind
    assert refusal_message({"codes": ["too-many-files"]}, MB) == "Choose one photo at a time."


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (
            "task 'avatar' failed: file is not a readable image: the image/jpeg data is corrupt or truncated",
            False,
        ),
        ("task 'cover' failed: SVG images are not processed", False),
        (
            "task 'avatar' failed: image is 20000x20000 (400000000 pixels), over the limit of 100000000 pixels",
            False,
        ),
        ("the workflow did not finish within 120 s", True),
        ("could not start the workflow: HTTP 429 from …: job queue is full, retry later", True),
        ("the workflow job is gone from the service", True),
    ],
)
def test_only_failures_a_retry_could_fix_are_retryable(error: str, retryable: bool) -> None:
    failure = describe_failure(error)
    assert failure.retryable is retryable
    for developer_word in ("task '", "image/jpeg", "HTTP", "truncated", "workflow"):
        assert developer_word not in failure.text
    assert "previous photo" not in failure.text
    assert failure.said_in_slot(True).endswith("Your previous photo is kept.")


def test_tasks_are_named_by_what_they_do() -> None:
    assert task_label("avatar") == "Crop and resize to 400×400"
    assert task_label("strip_metadata") == "Strip metadata"


def test_phases_keep_rejected_apart_from_failed_and_a_new_file_shows_over_processing() -> None:
    assert advance(SlotPhase.DONE, SlotEvent.REJECTED) is SlotPhase.REJECTED
    assert advance(SlotPhase.PROCESSING, SlotEvent.FAILED) is SlotPhase.FAILED
    assert advance(SlotPhase.PROCESSING, SlotEvent.PROGRESS) is SlotPhase.PROCESSING  # late progress
    assert advance(SlotPhase.PROCESSING, SlotEvent.SENDING) is SlotPhase.UPLOADING  # a newer file
    assert advance(SlotPhase.UPLOADING, SlotEvent.CANCELLED) is SlotPhase.IDLE
    assert advance(SlotPhase.IDLE, SlotEvent.FETCHING) is SlotPhase.FETCHING and SlotPhase.FETCHING.busy
    assert not SlotPhase.REJECTED.busy and not SlotPhase.FAILED.busy


@pytest.mark.parametrize(
    ("link", "words"),
    [("", "Paste the link"), ("ftp://example.com/a.jpg", "not a web link"), ("photo.jpg", "not a web link")],
)
def test_links_that_cannot_be_asked_for_are_refused_before_any_request(link: str, words: str) -> None:
    with pytest.raises(photo_links.LinkRefused, match=words):
        photo_links.check_link(link)


@pytest.mark.parametrize(
    ("status", "message", "words"),
    [
        (403, "refusing to fetch from loopback address 127.0.0.1", "not allowed"),
        (413, "remote file is larger than the 26214400-byte limit", "larger than 25.0 MB"),
        (502, "could not connect to example.com", "could not be reached"),
        (504, "timed out fetching example.com", "could not be reached"),
    ],
)
def test_the_services_refusals_become_plain_words(status: int, message: str, words: str) -> None:
    refusal = photo_links.refusal_for(
        FilestackHTTPError(status, {"error": message}, message, "http://x"), 25 * MB
    )
    assert words in str(refusal) and message not in str(refusal)


async def test_a_private_address_is_refused_by_the_service_and_nothing_is_recorded(env) -> None:
    settings, _service, _http = env
    ada = Person("ada")
    with pytest.raises(photo_links.LinkRefused, match="not allowed"):
        await photo_links.store_from_link(ada.id, "avatar", "http://127.0.0.1:9/photo.jpg", settings)
    assert profile_store.latest_job(ada.id, "avatar") is None
