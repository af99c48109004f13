"""A profile photo's life through the app's own code: upload, preview, workflow, final file, original deleted.

The app's client talks to the embedded service in-process (the same HTTP requests,
over an ASGI transport, security required), and the app's database is a fresh SQLite file.
"""

from __future__ import annotations

import io

import pytest
from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes
from PIL import Image

from dashboard import photo_jobs, profile_store
from dashboard.filestack import FilestackClient
from dashboard.local_filestack.config.limits import ServiceLimits
from dashboard.photo_checks import RejectedPhoto


def _size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


async def test_avatar_flow_saves_final_file_then_deletes_original(env) -> None:
    settings, service, http = env
    ada = Person("ada")
    job = await photo_jobs.upload(ada.id, "avatar", image_bytes(1600, 1200), "me.jpg", settings)
    preview = await http.get(job.preview_url)
    assert preview.status_code == 200 and _size(preview.content) == (400, 400)
    # Stored under the account's own path.
    assert service.storage.get(job.original_handle).path.startswith(f"users/{ada.id}/avatar/")

    job = await photo_jobs.run_workflow(job, settings)
    assert job.status == "processing" and job.workflow_job_id
    seen: list[dict] = []

    async def progress(states):
        seen.append(states)

    job = await photo_jobs.follow(ada.id, job.id, on_progress=progress, settings=settings)
    assert job.status == "finished", job.error
    assert job.original_deleted
    assert seen and seen[-1]["avatar"]["state"] == "done"

    final = await http.get(job.final_url)
    assert final.status_code == 200 and _size(final.content) == (400, 400)
    assert (await http.get(photo_jobs.photo_url(job.original_handle, settings))).status_code == 404
    profile = profile_store.load_profile(ada.id)
    assert profile.avatar_handle == job.final_handle and profile.avatar_url == job.final_url


async def test_failed_workflow_keeps_previous_photo_and_original(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    good = await photo_jobs.upload(ada.id, "cover", image_bytes(1800, 900), "good.jpg", settings)
    good = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(good, settings)).id, settings=settings
    )
    assert good.status == "finished"

    jpeg = image_bytes(1800, 900)
    # Pillow opens a cut JPEG's header happily, so the page accepts it; processing then fails.
    broken = await photo_jobs.upload(ada.id, "cover", jpeg[: len(jpeg) // 4], "cut.jpg", settings)
    broken = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(broken, settings)).id, settings=settings
    )
    assert broken.status == "failed"
    assert "cover" in broken.error and broken.error
    assert not broken.original_deleted
    assert (await http.get(photo_jobs.photo_url(broken.original_handle, settings))).status_code == 200
    profile = profile_store.load_profile(ada.id)
    assert profile.cover_handle == good.final_handle  # the good picture stays


async def test_rejected_file_uploads_nothing(env) -> None:
    settings, service, _http = env
    ada = Person("ada")
    with pytest.raises(RejectedPhoto, match="not an image"):
        await photo_jobs.upload(
            ada.id, "avatar", b"plain text pretending to be a photo\n" * 5, "holiday.jpg", settings
        )
    small = settings.service.model_copy(update={"limits": ServiceLimits(max_upload_bytes=1000)})
    too_big = settings.model_copy(update={"service": small})
    with pytest.raises(RejectedPhoto, match="limit"):
        await photo_jobs.upload(ada.id, "avatar", image_bytes(300, 300), "big.jpg", too_big)
    assert not list((service.settings.data_dir / "files").glob("*"))
    assert profile_store.latest_job(ada.id, "avatar") is None


async def test_finishing_again_neither_saves_nor_deletes_twice(env, monkeypatch) -> None:
    settings, _service, _http = env
    ada = Person("ada")
    job = await photo_jobs.upload(ada.id, "avatar", image_bytes(800, 800), "me.jpg", settings)
    job = await photo_jobs.run_workflow(job, settings)
    async with photo_jobs.open_client(settings) as fs:
        status = await fs.wait_for_job(job.workflow_job_id, interval_s=0.05, timeout_s=30)
    deletes: list[str] = []
    original_delete = FilestackClient.delete

    async def counting_delete(self, handle):
        deletes.append(handle)
        return await original_delete(self, handle)

    monkeypatch.setattr(FilestackClient, "delete", counting_delete)
    first = await photo_jobs.finish(ada.id, job.id, status, settings)
    assert first.original_deleted and deletes == [job.original_handle]
    saved_at = profile_store.load_profile(ada.id).updated_at
    again = await photo_jobs.finish(ada.id, job.id, status, settings)
    assert again.final_handle == first.final_handle
    assert deletes == [job.original_handle]  # no second delete
    assert profile_store.load_profile(ada.id).updated_at == saved_at  # no second save


async def test_newer_upload_supersedes_older_job(env) -> None:
    settings, _service, _http = env
    ada = Person("ada")
    old = await photo_jobs.run_workflow(
        await photo_jobs.upload(ada.id, "avatar", image_bytes(600, 600), "a.jpg", settings), settings
    )
    new = await photo_jobs.run_workflow(
        await photo_jobs.upload(ada.id, "avatar", image_bytes(700, 700), "b.jpg", settings), settings
    )
    new = await photo_jobs.follow(ada.id, new.id, settings=settings)
    old_row = profile_store.get_job(ada.id, old.id)
    assert old_row.status == "superseded"
    assert profile_store.load_profile(ada.id).avatar_handle == new.final_handle


async def _gone(http, handle: str, settings) -> bool:
    return (await http.get(photo_jobs.photo_url(handle, settings))).status_code == 404


async def _ended(job, settings):
    async with photo_jobs.open_client(settings) as fs:
        return await fs.wait_for_job(job.workflow_job_id, interval_s=0.05, timeout_s=30)


async def test_a_photo_replaced_while_processing_leaves_no_file_behind(env) -> None:
    """Its follower ends it: the row stays replaced, its original and what its workflow stored go."""
    settings, _service, http = env
    ada = Person("ada")
    old = await photo_jobs.run_workflow(
        await photo_jobs.upload(ada.id, "avatar", image_bytes(600, 600), "a.jpg", settings), settings
    )
    new = await photo_jobs.upload(ada.id, "avatar", image_bytes(700, 700), "b.jpg", settings)
    status = await _ended(old, settings)
    outputs = [f.handle for f in status.stored_files() if f.handle != old.original_handle]
    assert outputs
    ended = await photo_jobs.finish(ada.id, old.id, status, settings)
    assert ended.status == "superseded" and ended.original_deleted and not ended.final_handle
    for handle in [old.original_handle, *outputs]:
        assert await _gone(http, handle, settings), handle
    assert profile_store.load_profile(ada.id).avatar_handle == ""  # the replaced photo was never shown
    new = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(new, settings)).id, settings=settings
    )
    assert new.status == "finished"
    assert profile_store.load_profile(ada.id).avatar_handle == new.final_handle
    assert not await _gone(http, new.final_handle, settings)


async def test_the_sweep_clears_a_replaced_photo_nobody_follows(env) -> None:
    """The page that followed it closed: once its workflow has ended the sweep deletes its files,
    never the photo the profile shows."""
    settings, _service, http = env
    ada = Person("ada")
    first = await photo_jobs.upload(ada.id, "avatar", image_bytes(500, 500), "first.jpg", settings)
    first = await photo_jobs.follow(
        ada.id, (await photo_jobs.run_workflow(first, settings)).id, settings=settings
    )
    old = await photo_jobs.run_workflow(
        await photo_jobs.upload(ada.id, "avatar", image_bytes(600, 600), "a.jpg", settings), settings
    )
    await photo_jobs.upload(ada.id, "avatar", image_bytes(700, 700), "b.jpg", settings)
    # Not before the grace given to its own follower.
    assert await photo_jobs.clear_replaced_leftovers(settings) == 0
    status = await _ended(old, settings)
    outputs = [f.handle for f in status.stored_files() if f.handle != old.original_handle]
    assert await photo_jobs.clear_replaced_leftovers(settings, older_than_s=0) == 1
    for handle in [old.original_handle, *outputs]:
        assert await _gone(http, handle, settings), handle
    assert profile_store.get_job(ada.id, old.id).status == "superseded"
    assert profile_store.load_profile(ada.id).avatar_handle == first.final_handle
    assert not await _gone(http, first.final_handle, settings)
    assert await photo_jobs.clear_replaced_leftovers(settings, older_than_s=0) == 0  # once


async def test_a_workflow_started_for_a_replaced_photo_does_not_revive_it(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    old = await photo_jobs.upload(ada.id, "cover", image_bytes(1500, 500), "a.jpg", settings)
    await photo_jobs.upload(ada.id, "cover", image_bytes(1500, 500), "b.jpg", settings)
    # The first photo's handler starts its workflow only now, after the newer upload.
    old = await photo_jobs.run_workflow(old, settings)
    assert old.status == "superseded" and old.workflow_job_id
    status = await _ended(old, settings)
    outputs = [f.handle for f in status.stored_files() if f.handle != old.original_handle]
    assert await photo_jobs.clear_replaced_leftovers(settings, older_than_s=0) == 1
    for handle in [old.original_handle, *outputs]:
        assert await _gone(http, handle, settings), handle


async def test_upload_rate_limit_per_account(env) -> None:
    settings, _service, _http = env
    ada, bob = Person("ada"), Person("bob")
    limited = settings.model_copy(update={"upload_rate_limit": 2})
    for name in ("a.jpg", "b.jpg"):
        await photo_jobs.upload(ada.id, "avatar", image_bytes(300, 300), name, limited)
    with pytest.raises(photo_jobs.UploadLimitReached, match="Try again in"):
        await photo_jobs.upload(ada.id, "avatar", image_bytes(300, 300), "c.jpg", limited)
    assert len(profile_store.recent_jobs(ada.id)) == 2
    # Someone else's uploads are counted apart.
    await photo_jobs.upload(bob.id, "avatar", image_bytes(300, 300), "d.jpg", limited)
