"""Following again the photo jobs whose follower died, and telling their page (several app workers).

Every app worker scans the open photo jobs every few seconds. A job being processed
whose lease (:mod:`dashboard.follow_leases`) has run out -- the worker that followed it
died, or the app restarted -- is claimed by one worker, followed to its end (the job
store is the truth: it finishes on the queue workers regardless), finished (saved,
original deleted once), and its page is told through Reflex's state manager, which
forwards the change to whichever worker holds the page's websocket. An upload whose
workflow was never started (its handler's worker died in between) is started first, and
an original whose deletion was claimed but never confirmed is deleted again, and what a photo
replaced before it ended left behind is deleted once its workflow has ended.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import reflex as rx
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from dashboard import follow_leases, photo_jobs, profile_store
from dashboard.accounts import store
from dashboard.filestack import FilestackError
from dashboard.models import JobStatus, PhotoJob, Slot
from dashboard.settings import Settings
from dashboard.state.photo import AvatarState, CoverState, PhotoSlot, show_job_end, task_rows

log = logging.getLogger(__name__)

SCAN_INTERVAL_S = 2.0
_SLOT_STATES: dict[str, type[PhotoSlot]] = {Slot.AVATAR: AvatarState, Slot.COVER: CoverState}


class Takeover:
    """The scanner of one app worker and the followers it started."""

    def __init__(self, app: rx.App, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.redis_url = settings.redis_url
        self._followers: dict[int, asyncio.Task[None]] = {}

    async def run(self) -> None:
        """Scan forever (a lifespan task); one bad round never stops the next."""
        try:
            while True:
                try:
                    await self.scan()
                except (RedisError, SQLAlchemyError, OSError) as err:
                    log.warning("scanning for orphaned photo jobs failed: %s", err)
                await asyncio.sleep(SCAN_INTERVAL_S)
        finally:
            for follower in self._followers.values():
                follower.cancel()
            await asyncio.gather(*self._followers.values(), return_exceptions=True)

    async def scan(self) -> int:
        """Claim every open job nobody follows, whoever owns it; return how many were claimed."""
        claimed = 0
        await photo_jobs.retry_unsent_deletions(self.settings)
        await photo_jobs.clear_replaced_leftovers(self.settings)
        for job in await asyncio.to_thread(profile_store.open_jobs_of_everyone):
            if job.id is None or job.owner_id is None or job.id in self._followers:
                continue
            unstarted = photo_jobs.is_unstarted(job)
            if not unstarted and (job.status != JobStatus.PROCESSING or not job.workflow_job_id):
                continue
            owner = follow_leases.new_owner()
            if await follow_leases.try_claim(self.redis_url, job.id, owner):
                follower = asyncio.create_task(
                    self._follow(job, owner, start=unstarted), name=f"photo-takeover-{job.id}"
                )
                self._followers[job.id] = follower
                follower.add_done_callback(
                    lambda _t, photo_job_id=job.id: self._followers.pop(photo_job_id, None)
                )
                claimed += 1
        return claimed

    async def settle(self) -> None:
        """Wait for the followers started so far to end."""
        await asyncio.gather(*self._followers.values(), return_exceptions=True)

    async def _follow(self, job: PhotoJob, owner: str, *, start: bool = False) -> None:
        photo_job_id, owner_id = job.id or 0, job.owner_id or 0
        log.info("following photo job %s of account %s whose follower is gone", photo_job_id, owner_id)
        try:
            async with follow_leases.holding(self.redis_url, photo_job_id, owner, take=False):
                if start and await photo_jobs.start_unstarted(job, self.settings) is None:
                    return  # started by someone else meanwhile
                token = await follow_leases.client_of(self.redis_url, photo_job_id)

                async def push(states: photo_jobs.TaskStates) -> None:
                    await self._tell(token, job, lambda slot: setattr(slot, "tasks", task_rows(states)))

                ended = await photo_jobs.follow(
                    owner_id, photo_job_id, on_progress=push, settings=self.settings
                )
            await self._tell(token, job, lambda slot: show_job_end(slot, ended))
        except (FilestackError, LookupError, RedisError, SQLAlchemyError) as err:
            log.warning("could not follow photo job %s: %s", photo_job_id, err)

    async def _tell(self, token: str | None, job: PhotoJob, change: Any) -> None:
        """Apply ``change`` to the page's slot state, if that page still shows this job to its owner."""
        state_class = _SLOT_STATES.get(job.slot)
        if token is None or state_class is None:
            return
        async with self.app.modify_state(rx.BaseStateToken(ident=token, cls=state_class)) as root:
            state = root if isinstance(root, state_class) else await root.get_state(state_class)
            if state._photo_job_id != job.id:
                return
            viewer = await asyncio.to_thread(
                store.resolve_session, state.session_token, ttl_s=self.settings.session_ttl_s
            )
            if viewer is None or viewer.account_id != job.owner_id:
                log.warning("page of photo job %s is signed in as someone else now; not told", job.id)
                return
            change(state)
