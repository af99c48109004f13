"""Photo jobs an app worker abandoned half-way are completed by another: an upload whose workflow
never started is started, and an original whose deletion was claimed but never sent is deleted."""

from __future__ import annotations

import time
from typing import Any

from app_env import Person, env  # noqa: F401  (fixture)
from local_service import image_bytes

from dashboard import photo_jobs, profile_store
from dashboard.filestack import FilestackClient
from dashboard.takeover import Takeover


class WorkerKilled(BaseException):
    """The app worker dies at this point (nothing after it runs)."""


def takeover(settings: Any) -> Takeover:
    # Without Redis (this test) every lease is granted and no page is told, so no app is needed.
    return Takeover(app=None, settings=settings)  # type: ignore[arg-type]


async def test_an_upload_whose_workflow_never_started_is_started_by_the_takeover(env) -> None:
    settings, _service, http = env
    ada = Person("ada")
    abandoned = await photo_jobs.upload(ada.id, "avatar", image_bytes(800, 600), "me.jpg", settings)
    # the handler's worker died right after the upload, a while ago
    profile_store.update_job(ada.id, abandoned.id, created_at=time.time() - photo_jobs.UNSTARTED_AFTER_S - 5)
    fresh = await photo_jobs.upload(ada.id, "cover", image_bytes(900, 300), "cover.jpg", settings)
    scanner = takeover(settings)
    assert await scanner.scan() == 1  # the fresh upload's handler may still start it
    await scanner.settle()
    done = profile_store.get_job(ada.id, abandoned.id)
    assert done.status == "finished", done.error
    assert done.workflow_job_id and done.original_deleted
    assert profile_store.load_profile(ada.id).avatar_handle == done.final_handle
    assert (await http.get(done.final_url)).status_code == 200
    assert profile_store.get_job(ada.id, fresh.id).status == "uploaded"
    assert await scanner.scan() == 0  # started once


async def test_after_a_restart_every_unstarted_upload_is_started(env) -> None:
    settings, _service, _http = env
    ada = Person("ada")
    job = await photo_jobs.upload(ada.id, "avatar", image_bytes(640, 480), "me.jpg", settings)
    assert await photo_jobs.resume_open_jobs(settings) == 1
    resumed = profile_store.get_job(ada.id, job.id)
    assert resumed.status == "finished" and resumed.original_deleted


async def test_a_claimed_but_unsent_deletion_of_the_original_is_retried_once(env, monkeypatch) -> None:
    settings, service, _http = env
    ada = Person("ada")
    job = await photo_jobs.run_workflow(
        await photo_jobs.upload(ada.id, "avatar", image_bytes(800, 800), "me.jpg", settings), settings
    )
    async with photo_jobs.open_client(settings) as fs:
        status = await fs.wait_for_job(job.workflow_job_id, interval_s=0.05, timeout_s=30)
    sent: list[str] = []
    real_delete = FilestackClient.delete

    async def killed_before_sending(self, handle):
        raise WorkerKilled

    monkeypatch.setattr(FilestackClient, "delete", killed_before_sending)
    try:
        await photo_jobs.finish(ada.id, job.id, status, settings)
    except WorkerKilled:
        pass
    left = profile_store.get_job(ada.id, job.id)
    assert left.final_handle and not left.original_deleted
    assert service.storage.get(job.original_handle)  # the original is still there

    async def counting_delete(self, handle):
        sent.append(handle)
        return await real_delete(self, handle)

    monkeypatch.setattr(FilestackClient, "delete", counting_delete)
    assert (
        await photo_jobs.retry_unsent_deletions(settings) == 0
    )  # the claim is fresh: its worker may be sending
    profile_store.update_job(
        ada.id, job.id, original_delete_claimed_at=time.time() - profile_store.DELETE_CLAIM_STALE_S - 1
    )
    scanner = takeover(settings)
    await scanner.scan()
    await scanner.scan()
    assert sent == [job.original_handle]
    retried = profile_store.get_job(ada.id, job.id)
    assert retried.original_deleted
    assert profile_store.load_profile(ada.id).avatar_handle == retried.final_handle
