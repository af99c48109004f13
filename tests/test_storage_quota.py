"""A storage quota for the API key's files (``STORAGE_QUOTA_BYTES``): stores past it are refused
with a clear JSON message, 507 while deleting files would make room, 413 for a file that can never fit."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any

import pytest

from dashboard.local_filestack import __main__ as service_main
from tests.local_service import API_KEY, SECRET, image_bytes, make_config, policy, running_service, upload


async def test_stores_past_the_quota_are_refused_until_files_are_deleted(tmp_path: Path) -> None:
    photo = image_bytes(120, 90)
    quota = 3 * len(photo) + 100  # room for three photos, not for any other file
    config = make_config(tmp_path / "data", limits={"storage_quota_bytes": quota})
    async with running_service(config) as (_service, client):
        handles = []
        for _ in range(3):
            stored = await upload(client, photo)
            assert stored.status_code == 200, stored.text
            handles.append(stored.json()["handle"])
        refused = await upload(client, photo)
        assert refused.status_code == 507
        assert refused.headers["content-type"].startswith("application/json")
        message = refused.json()["error"]
        assert "storage quota reached" in message and f"of {quota} bytes" in message, message
        # the processing API's store is refused the same way, and nothing half-stored remains
        converted = await client.post(f"/cdn/{API_KEY}/resize=width:100/store/{handles[0]}")
        assert converted.status_code == 507, converted.text
        files = [p for p in (tmp_path / "data" / "files").iterdir()]
        assert len(files) == 3
        # deleting one makes room again
        sec = policy(call=["remove"], handle=handles[0])
        deleted = await client.delete(
            f"/www/api/file/{handles[0]}", params={"key": API_KEY, **sec.as_query()}
        )
        assert deleted.status_code == 200
        assert (await upload(client, photo)).status_code == 200
        # an overwrite counts only what it adds
        same_size = await client.post(f"/www/api/file/{handles[1]}", content=photo, auth=("app", SECRET))
        assert same_size.status_code == 200, same_size.text
        for handle in handles[1:]:
            assert (await client.get(f"/cdn/{handle}")).status_code == 200


async def test_one_file_larger_than_the_whole_quota_is_413(tmp_path: Path) -> None:
    big = image_bytes(400, 300)
    config = make_config(tmp_path / "data", limits={"storage_quota_bytes": len(big) - 1})
    async with running_service(config) as (_service, client):
        refused = await upload(client, big)
        assert refused.status_code == 413
        assert refused.json()["error"] == (
            f"file of {len(big)} bytes is larger than the {len(big) - 1}-byte storage quota"
        )
        assert (await upload(client, image_bytes(40, 30))).status_code == 200


async def test_without_a_quota_nothing_is_counted(tmp_path: Path) -> None:
    async with running_service(make_config(tmp_path / "data")) as (service, client):
        assert service.storage.quota_bytes is None
        for _ in range(3):
            assert (await upload(client, image_bytes(200, 150))).status_code == 200


def test_the_quota_and_the_cache_cap_come_from_the_environment_or_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served: dict[str, Any] = {}
    monkeypatch.setattr(service_main.uvicorn, "run", lambda app, **kwargs: served.update(app=app))
    monkeypatch.setenv("TRANSFORM_CACHE_MAX_BYTES", "123456")
    monkeypatch.setenv("STORAGE_QUOTA_BYTES", "999")
    with contextlib.redirect_stdout(io.StringIO()):
        service_main.main(["--data-dir", str(tmp_path), "--storage-quota-bytes", "5000"])
    service = served["app"].state.service
    assert service.storage.quota_bytes == 5000  # the flag wins over the variable
    assert service.cache.max_bytes == 123456
    monkeypatch.setenv("STORAGE_QUOTA_BYTES", "0")
    with pytest.raises(SystemExit, match="STORAGE_QUOTA_BYTES"):
        service_main.main(["--data-dir", str(tmp_path)])
