"""The policy's ``path`` and ``container`` rules hold on the CDN ``store`` task as they do on
the File API store. Real Filestack refuses a store outside the policy's path with
``{"error": "invalid security policy path"}`` (filestack-js issue 556); a security check, so the
refusal is a 403 and nothing is stored."""

from __future__ import annotations

import pytest

from . import media
from .harness import Conformance


@pytest.fixture(scope="module")
def photo(fs: Conformance) -> str:
    return fs.handle_of(media.gradient_png())


def test_cdn_store_outside_the_policy_path_is_refused(fs: Conformance, photo: str) -> None:
    signed = fs.sign(call=["store", "convert", "read"], path="allowed/.*")
    answer = fs.cdn(f'{signed.task}/store=path:"elsewhere/"/{photo}')
    assert answer.status_code == 403, answer.text
    assert answer.json() == {"error": "invalid security policy path"}


def test_cdn_store_outside_the_policy_container_is_refused(fs: Conformance, photo: str) -> None:
    signed = fs.sign(call=["store", "convert", "read"], container="allowed-bucket")
    answer = fs.cdn(f"{signed.task}/store=container:other-bucket/{photo}")
    assert answer.status_code == 403, answer.text
    assert "invalid security policy container" in answer.json()["error"]


def test_cdn_store_inside_the_policy_path_is_stored(fs: Conformance, photo: str) -> None:
    signed = fs.sign(call=["store", "convert", "read"], path="allowed/.*")
    answer = fs.cdn(f'{signed.task}/store=path:"allowed/cdn/"/{photo}')
    assert answer.status_code == 200, answer.text
    assert answer.json()["key"].startswith("allowed/cdn/")


def test_file_api_store_outside_the_policy_path_is_refused(fs: Conformance) -> None:
    """The reference behaviour the CDN store must match."""
    signed = fs.sign(call=["store"], path="allowed/.*")
    answer = fs.http.post(
        "/www/api/store/S3",
        params={"key": fs.api_key, "path": "elsewhere/", **signed.query},
        content=media.gradient_png(),
        headers={"Content-Type": "image/png"},
    )
    assert answer.status_code == 403, answer.text
    assert "path" in answer.json()["error"]
