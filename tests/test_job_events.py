"""A finished job reaches the page by an event, not by polling; polling stays only as the fallback.

The embedded service runs in-process with its job events forwarded to the app's followers
(as :mod:`dashboard.embedded` does in the backend). Every ``workflow_status`` request the
follower sends is counted: with the fallback poll set far beyond the test's patience, a
follower that finishes can only have been woken by events.
"""

from __future__ import annotations

import asyncio
import contextlib

import httpx
import pytest
from app_env import BASE, Person, env  # noqa: F401  (fixture)
from local_service import API_KEY, SECRET, image_bytes
from reflex_events import event_processor, sign_in

from dashboard import connection, job_events, photo_jobs, profile_store
from dashboard.filestack import ClientConfig, FilestackClient
from dashboard.local_filestack.workflows.engine.events import JobEvent, LocalJobEvents
from dashboard.slot_phase import SlotPhase
from dashboard.state import AvatarState


class StatusReads:
    """Counts the follower's ``workflow_status`` requests on their way to the service."""

    def __init__(self) -> None:
        self.count = 0

    def client_factory(self, app):
        config = ClientConfig.embedded(BASE, api_key=API_KEY, app_secret=SECRET)
        reads = self

        class Counting(httpx.ASGITransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if "workflow_status" in request.url.path:
                    reads.count += 1
                return await super().handle_async_request(request)

        def open_client(_settings=None) -> FilestackClient:
            return FilestackClient(config, transport=Counting(app=app))

        return open_client


@pytest.fixture()
def reads(env, monkeypatch: pytest.MonkeyPatch) -> StatusReads:
    _settings, _service, _http = env
    counter = StatusReads()
    app = _http._transport.app  # the service's ASGI app the env's clients talk to
    open_client = counter.client_factory(app)
    monkeypatch.setattr(photo_jobs, "open_client", open_client)
    monkeypatch.setattr(connection, "open_client", open_client)
    return counter


async def _started(settings, person: Person):
    job = await photo_jobs.upload(person.id, "avatar", image_bytes(1200, 900), "me.jpg", settings)
    return await photo_jobs.run_workflow(job, settings)


async def test_events_wake_the_follower_which_finishes_without_polling(env, reads) -> None:
    settings, _service, _http = env
    settings = settings.model_copy(update={"job_fallback_poll_s": 600.0})  # a poll would never come
    ada = Person("ada")
    job = await _started(settings, ada)
    async with asyncio.timeout(25):
        done = await photo_jobs.follow(ada.id, job.id, settings=settings)
    assert done.status == "finished", done.error
    assert profile_store.load_profile(ada.id).avatar_handle == done.final_handle
    # One read at the start, then one per event (a task's end, the job's end): no timed polls.
    assert 1 < reads.count <= 4


async def test_lost_events_fall_back_to_polling(env, reads, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _service, _http = env
    settings = settings.model_copy(update={"job_fallback_poll_s": 0.05})
    woken: list[str] = []
    followers = job_events.job_events(None)
    monkeypatch.setattr(followers, "wake", lambda job_id: woken.append(job_id) or 0)  # every event lost
    ada = Person("ada")
    job = await _started(settings, ada)
    done = await photo_jobs.follow(ada.id, job.id, settings=settings)
    assert done.status == "finished", done.error
    assert woken, "the service published no event"
    assert reads.count >= 2  # found by reading again after the fallback interval


async def test_the_page_shows_the_final_photo_woken_by_events(env, reads, monkeypatch) -> None:
    settings, _service, _http = env
    settings = settings.model_copy(update={"job_fallback_poll_s": 600.0})
    monkeypatch.setattr(photo_jobs, "get_settings", lambda: settings)
    ada = Person("ada")
    job = await _started(settings, ada)
    async with event_processor() as events:
        await sign_in(events, ada.token)
        slot = await events.state(AvatarState)
        slot._photo_job_id = job.id
        async with asyncio.timeout(25):
            await events.run(AvatarState, "follow_job")
        slot = await events.state(AvatarState)
    done = profile_store.get_job(ada.id, job.id)
    assert done is not None and done.status == "finished", done and done.error
    assert slot.phase == SlotPhase.DONE and done.final_handle in slot.photo_url
    assert 1 < reads.count <= 4


async def test_an_event_during_a_read_is_kept_for_the_next_wait() -> None:
    followers = job_events.LocalJobEvents()
    with followers.watch("job-1") as watch:
        assert followers.wake("job-1") == 1  # arrives while the follower is busy reading
        assert await watch.changed(timeout_s=600)  # returns at once: not lost
        assert not await watch.changed(timeout_s=0.01)  # consumed
    assert followers.wake("job-1") == 0 and followers.watched() == 0


async def test_a_failing_listener_does_not_stop_the_others() -> None:
    bus = LocalJobEvents()
    heard: list[JobEvent] = []

    def broken(_event: JobEvent) -> None:
        raise RuntimeError("listener bug")

    bus.listen(broken)
    stop = bus.listen(heard.append)
    await bus.publish(JobEvent(job_id="j", ended=True))
    stop()
    await bus.publish(JobEvent(job_id="k"))
    assert heard == [JobEvent(job_id="j", ended=True)]


@pytest.fixture()
def redis_url():
    from scale_support import require_redis

    base = require_redis()
    return f"{base.rstrip('/')}/0"


async def test_redis_bus_carries_events_between_processes(redis_url) -> None:
    import uuid

    from dashboard.local_filestack.workflows.engine.events import RedisJobEvents

    channel = f"test-job-events-{uuid.uuid4().hex}"
    publisher, subscriber = RedisJobEvents(redis_url, channel), RedisJobEvents(redis_url, channel)
    heard: asyncio.Queue[JobEvent] = asyncio.Queue()
    subscriber.listen(heard.put_nowait)
    await subscriber.start()
    try:
        await publisher.publish(JobEvent(job_id="job-7", ended=True))
        async with asyncio.timeout(10):
            assert await heard.get() == JobEvent(job_id="job-7", ended=True)
    finally:
        await subscriber.stop()
        await publisher.stop()


async def test_an_announcement_wakes_followers_of_another_app_worker(redis_url) -> None:
    import uuid

    channel = f"test-job-wakeups-{uuid.uuid4().hex}"
    endpoint_worker = job_events.RedisJobEvents(redis_url, channel)
    follower_worker = job_events.RedisJobEvents(redis_url, channel)
    with follower_worker.watch("job-9") as watch:
        # The subscription is made by the first watch; announce until it is heard.
        async with asyncio.timeout(10):
            while not await watch.changed(timeout_s=0.2):
                await endpoint_worker.announce("job-9")
        assert watch.events >= 1
    for worker in (endpoint_worker, follower_worker):
        if worker._subscriber is not None:
            worker._subscriber.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker._subscriber
