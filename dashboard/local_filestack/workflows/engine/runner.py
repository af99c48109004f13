"""Runs jobs: a fixed number of runners take job ids from the queue and run their tasks.

One job, from a runner's point of view:

1. load the job from the store (skip it if it already finished), plan its
   workflow snapshot with :func:`~dashboard.local_filestack.workflows.model.dag.validate_workflow`;
2. mark it running and resolve its source to a stored file;
3. loop: ask :func:`~dashboard.local_filestack.workflows.model.dag.next_steps` what
   is ready and what must be skipped, record skips, start every ready task
   concurrently, wait for the first to end, record its outcome -- until the
   scheduler says the job is over;
4. record ``done`` or ``failed`` with "task 'x' failed: <error>" and hand the
   job to the ``on_finished`` callback (webhooks).

Every outcome is written to the store as it happens, so a job interrupted by a
shutdown or a crash is found ``running`` at the next start, reset and run again
(:meth:`WorkflowEngine.start`); tasks already done keep their results and
actions are idempotent. Each task runs under the task timeout; a task that
times out fails with "timed out after N s" (work it handed to the process pool
is stopped with it: the worker process is ended and replaced).

A job can be cancelled (:meth:`WorkflowEngine.cancel`): the store ends it in one
transaction, the run in this process is stopped at once (its pool work with it), a
run in another process (a queue worker) is stopped by the queue
(:meth:`~dashboard.local_filestack.workflows.engine.queue.JobQueue.stop_running`), and
any run still going finds its next write refused and stops there.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from dashboard.local_filestack.config.workflows import WorkflowSettings
from dashboard.local_filestack.ingest.metadata import CDN_PREFIX
from dashboard.local_filestack.workflows.engine.actions import (
    ActionContext,
    ActionError,
    ActionRegistry,
    ActionResources,
)
from dashboard.local_filestack.workflows.engine.events import JobEvent, JobEventBus
from dashboard.local_filestack.workflows.engine.queue import JobQueue
from dashboard.local_filestack.workflows.engine.sources import SourceError, SourceResolver
from dashboard.local_filestack.workflows.model.dag import (
    PlannedTask,
    PlannedWorkflow,
    next_steps,
    validate_workflow,
)
from dashboard.local_filestack.workflows.model.errors import JobNotFound, QueueFull, QueueUnavailable
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobSource,
    JobStatus,
    SourceKind,
    WorkflowRecord,
    cancel_text,
    now_ns,
)
from dashboard.local_filestack.workflows.model.triggers import JobTrigger
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState, WorkflowValidationError
from dashboard.local_filestack.workflows.stores.store import JobStore

logger = logging.getLogger(__name__)

JobCallback = Callable[[JobRecord], Awaitable[None]]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _failed(reason: str, started: datetime | None) -> TaskOutcome:
    return TaskOutcome(state=TaskState.FAILED, reason=reason, started_at=started, finished_at=_utcnow())


def piped_handle(planned: PlannedTask, outcomes: dict[str, TaskOutcome]) -> str | None:
    """The handle of the file a piped task reads: its input task's output (``data.handle``)."""
    if planned.input is None:
        return None
    result = outcomes[planned.input].result or {}
    data = result.get("data")
    handle = data.get("handle") if isinstance(data, dict) else None
    return handle if isinstance(handle, str) and handle else None


class _JobEnded(Exception):
    """The store refused a task's outcome: the job ended meanwhile (it was cancelled)."""


class WorkflowEngine:
    """The job runners and the scheduling of each job's tasks."""

    def __init__(
        self,
        *,
        store: JobStore,
        queue: JobQueue,
        registry: ActionRegistry,
        resources: ActionResources,
        resolver: SourceResolver,
        settings: WorkflowSettings,
        on_finished: JobCallback | None = None,
        events: JobEventBus | None = None,
    ) -> None:
        self.store = store
        #: Where a task's end and a job's end are announced (followers wait for these).
        self.events = events
        self.queue = queue
        self.registry = registry
        self.resources = resources
        self.resolver = resolver
        self.settings = settings
        self.on_finished = on_finished
        self._runners: list[asyncio.Task[None]] = []
        #: Jobs whose end is being recorded and handed to ``on_finished`` right now.
        self._ending: dict[str, set[asyncio.Event]] = {}
        #: The job each runner of this process is running, by job id.
        self._active: dict[str, asyncio.Task[JobRecord | None]] = {}

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the runners are started."""
        return bool(self._runners)

    async def start(self) -> list[str]:
        """Re-queue jobs left queued or running by a previous process, then start the runners.

        Returns the ids of the re-queued jobs. With a queue consumed by other processes
        (queue workers) nothing starts here: the broker redelivers unfinished work.
        """
        if self._runners or not self.queue.consumed_here:
            return []
        recovered = await self.store.claim_unfinished(now_ns())
        for job_id in recovered:
            await self.queue.requeue(job_id)
        if recovered:
            logger.info("re-queued %d unfinished workflow job(s)", len(recovered))
        self._runners = [
            asyncio.create_task(self._runner(), name=f"workflow-runner-{number}")
            for number in range(self.settings.runners)
        ]
        return recovered

    async def stop(self) -> None:
        """Stop the runners; jobs they were running stay ``running`` and resume at the next start."""
        runners, self._runners = self._runners, []
        for runner in runners:
            runner.cancel()
        await asyncio.gather(*runners, return_exceptions=True)

    # -- submitting --------------------------------------------------------

    async def submit(
        self,
        workflow: WorkflowRecord,
        source: JobSource,
        *,
        base_url: str | None = None,
        replay_of: UUID | None = None,
    ) -> JobRecord:
        """Record a job (a replay of ``replay_of``, if given) and queue it; :class:`QueueFull`
        when too many jobs wait already, :class:`QueueUnavailable` when the broker cannot be
        reached (the job is not kept either way)."""
        created = now_ns()
        job = JobRecord(
            uuid=uuid4(),
            workflow=workflow,
            source=source,
            source_handle=source.value if source.kind is SourceKind.HANDLE else None,
            base_url=base_url,
            created_at=created,
            updated_at=created,
            replay_of=replay_of,
        )
        await self.store.create_job(job)
        try:
            await self.queue.put(job.id)
        except (QueueFull, QueueUnavailable):
            await self.store.discard_job(job.id)
            raise
        return job

    async def submit_on_arrival(
        self, workflow: WorkflowRecord, trigger: JobTrigger, *, base_url: str | None = None
    ) -> JobRecord | None:
        """Record and queue the job a file's arrival starts, once per (file, workflow): a second
        call for the same pair (a retried request, a second process) returns the first job."""
        created = now_ns()
        source = JobSource(kind=SourceKind.HANDLE, value=trigger.handle)
        job = JobRecord(
            uuid=uuid4(),
            workflow=workflow,
            source=source,
            source_handle=trigger.handle,
            base_url=base_url,
            created_at=created,
            updated_at=created,
            triggered_by=trigger,
        )
        job_id, fresh = await self.store.create_arrival_job(job, trigger.handle)
        if not fresh:
            return await self.store.get_job(job_id)
        try:
            await self.queue.put(job.id)
        except QueueFull:  # kept pending: the next start queues it again
            logger.warning(
                "queue full: job %s started by file %s waits for the next start", job.id, trigger.handle
            )
        return job

    # -- running -----------------------------------------------------------

    async def _runner(self) -> None:
        while True:
            job_id = await self.queue.get()
            run = asyncio.create_task(self.run_job(job_id), name=f"workflow-job-{job_id}")
            self._active[job_id] = run
            try:
                await run
            except asyncio.CancelledError:
                current = asyncio.current_task()
                if current is None or current.cancelling():  # the runner itself is stopping
                    raise
                # only the job was stopped (cancelled): its end is recorded already
            except Exception as exc:  # a runner must survive any one job
                logger.exception("workflow job %s crashed", job_id)
                await self.finish_after_crash(job_id, exc)
            finally:
                if self._active.get(job_id) is run:
                    del self._active[job_id]

    async def stop_job(self, job_id: str) -> bool:
        """Stop the run of ``job_id`` in this process, if there is one, and wait until it has
        stopped (its tasks cancelled, their process-pool work ended); whether one was running."""
        run = self._active.get(job_id)
        if run is None or run.done():
            return False
        run.cancel()
        await asyncio.wait({run})
        return True

    async def cancel(self, job: JobRecord, by: str) -> tuple[bool, JobRecord | None]:
        """Cancel an unfinished job: end it as ``failed`` with "cancelled by <by>" and stop its run
        here or in the queue worker running it. Returns whether this call ended it, and the job."""
        text = cancel_text(by)
        try:
            order: tuple[str, ...] = validate_workflow(job.workflow.definition()).order
        except WorkflowValidationError:
            order = ()
        unstarted = [task_id for task_id in order if task_id not in job.tasks]
        ended = False

        async def write() -> tuple[bool, JobRecord | None]:
            nonlocal ended
            ended = await self.store.cancel(job.id, text, by, now_ns(), unstarted)
            if ended and not await self.stop_job(job.id):
                await self.queue.stop_running(job.id)
            return ended, await self.store.get_job(job.id)

        record = await self._end(job.id, write)
        return ended, record

    async def run_job(self, job_id: str) -> JobRecord | None:
        """Run one job to its end (or return at once if it already ended); return the final record.

        The job is marked running and read back in one store call (a finished job
        is left as it is), which saves a read per job on the engine's hot path.
        """
        try:
            job = await self.store.mark_running(job_id, now_ns())
        except JobNotFound:
            return None
        if job.status.finished:  # already ended, or another worker ended it (at-least-once delivery)
            return job
        try:
            plan = validate_workflow(job.workflow.definition())
        except WorkflowValidationError as exc:
            return await self._finish(job_id, JobStatus.FAILED, f"invalid workflow: {exc}")
        try:
            failure, last = await self._run_within_job_timeout(job, plan)
        except _JobEnded:  # cancelled meanwhile, here or elsewhere: its end is recorded
            return await self.store.get_job(job_id)
        if failure is None:
            return await self._finish(job_id, JobStatus.DONE, "", last)
        return await self._finish(job_id, JobStatus.FAILED, failure, last)

    async def _run_within_job_timeout(
        self, job: JobRecord, plan: PlannedWorkflow
    ) -> tuple[str | None, dict[str, TaskOutcome]]:
        """Resolve the source and run the tasks within ``job_timeout_s``; return the failure text, if
        any, and the outcomes of the last tasks, still to be written with the job's end.

        When the job runs out of time, its running tasks are stopped and recorded as failed.
        """
        timeout = self.settings.job_timeout_s
        scope = asyncio.timeout(timeout)
        try:
            async with scope:
                try:
                    source_handle = await self.resolver.resolve(job)
                except SourceError as exc:
                    return str(exc), {}
                return await self._run_tasks(job, plan, source_handle)
        except TimeoutError:
            if not scope.expired():
                raise
        reason = f"job timed out after {timeout:g} s"
        current = await self.store.get_job(job.id)
        for task_id, outcome in (current.tasks if current is not None else {}).items():
            if TaskState(outcome.state) is TaskState.RUNNING:
                stopped = _failed(f"stopped: {reason}", outcome.started_at)
                await self.store.update_task(job.id, task_id, stopped, now_ns())
        return reason, {}

    async def _run_tasks(
        self, job: JobRecord, plan: PlannedWorkflow, source_handle: str
    ) -> tuple[str | None, dict[str, TaskOutcome]]:
        """Schedule the tasks until the job is over; return the failure text, if any, and the
        outcomes of the tasks that ended it (written with the job's end: one transaction less)."""
        # A task recorded as running belongs to an earlier run that is gone (a killed worker,
        # a redelivered job): it runs again; its action finds whatever that run stored.
        outcomes: dict[str, TaskOutcome] = {
            task_id: outcome
            for task_id, outcome in job.tasks.items()
            if task_id in plan.tasks and TaskState(outcome.state) is not TaskState.RUNNING
        }
        running: dict[asyncio.Task[TaskOutcome], str] = {}
        try:
            while True:
                steps = next_steps(plan, outcomes)
                for task_id, reason in steps.skip.items():
                    outcomes[task_id] = TaskOutcome(
                        state=TaskState.SKIPPED, reason=reason, finished_at=_utcnow()
                    )
                    await self._record(job.id, task_id, outcomes[task_id])
                if steps.finished:
                    return steps.failure, {}
                for task_id in steps.ready:
                    outcomes[task_id] = TaskOutcome(state=TaskState.RUNNING, started_at=_utcnow())
                    await self._record(job.id, task_id, outcomes[task_id])
                    planned = plan.task(task_id)
                    task_source = piped_handle(planned, outcomes) if planned.input else source_handle
                    task = asyncio.create_task(
                        self._run_task(job, planned, task_source, outcomes[task_id].started_at),
                        name=f"workflow-task-{job.id}-{task_id}",
                    )
                    running[task] = task_id
                if not running:
                    return "the workflow cannot make progress (no task is ready or running)", {}
                done, _pending = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                ended_now = {running.pop(task): task.result() for task in done}
                outcomes.update(ended_now)
                if not running:
                    last = next_steps(plan, outcomes)
                    if last.finished and not last.skip:  # the job ends with these tasks
                        return last.failure, ended_now
                for task_id, outcome in ended_now.items():
                    await self._record(job.id, task_id, outcome)
        finally:
            for task in running:
                task.cancel()
            if running:
                await asyncio.gather(*running, return_exceptions=True)

    async def _record(self, job_id: str, task_id: str, outcome: TaskOutcome) -> None:
        """Write a task's outcome; :class:`_JobEnded` when the job has ended (been cancelled)."""
        if not await self.store.update_task(job_id, task_id, outcome, now_ns()):
            raise _JobEnded(job_id)
        if self.events is not None:
            await self.events.publish(JobEvent(job_id=job_id))

    async def _run_task(
        self, job: JobRecord, planned: PlannedTask, source_handle: str | None, started: datetime | None
    ) -> TaskOutcome:
        """Run one task under the timeout and turn whatever happens into its outcome."""
        if source_handle is None:
            return _failed(f"input task {planned.input!r} recorded no file to read", started)
        timeout = self.settings.task_timeout_s
        context = ActionContext(
            job_id=job.id,
            task_id=planned.id,
            source_handle=source_handle,
            base_url=job.base_url or f"{self.resources.public_url or ''}{CDN_PREFIX}",
            resources=self.resources,
        )
        scope = asyncio.timeout(timeout)
        try:
            action = self.registry.get(planned.action)
            async with scope:
                data = await action.run(context, planned.params)
            result = {"data": _json_object(planned.action, data)}
        except ActionError as exc:
            return _failed(str(exc), started)
        except TimeoutError as exc:
            if scope.expired():
                return _failed(f"timed out after {timeout:g} s", started)
            return _failed(f"timed out: {exc}", started)
        except Exception as exc:  # an action's bug fails its task, not the runner
            logger.exception("action %r of job %s crashed", planned.action, job.id)
            return _failed(f"internal error in action {planned.action!r}: {exc}", started)
        return TaskOutcome(state=TaskState.DONE, result=result, started_at=started, finished_at=_utcnow())

    async def ended(self, job_id: str) -> None:
        """Wait until this process has handed the end of ``job_id`` to ``on_finished``.

        A job reads as finished as soon as its status is written, a moment before the
        callback (which starts its webhook delivery) runs. Whoever saw it finished and
        waits here then sees everything its end set off. Returns at once for a job that
        is not ending in this process.
        """
        for ending in list(self._ending.get(job_id, ())):
            await ending.wait()

    async def _finish(
        self, job_id: str, status: JobStatus, text: str, tasks: dict[str, TaskOutcome] | None = None
    ) -> JobRecord | None:
        return await self._end(
            job_id, lambda: self.store.end_job(job_id, status, text, now_ns(), tasks or {})
        )

    async def _end(
        self, job_id: str, write: Callable[[], Awaitable[tuple[bool, JobRecord | None]]]
    ) -> JobRecord | None:
        """Record a job's end with ``write`` (whether this call ended it, and the job read back),
        then hand the job to ``on_finished`` if it did."""
        # Registered before the status is written, so no reader can see the job finished
        # without also finding it here until the callback has run.
        ending = asyncio.Event()
        self._ending.setdefault(job_id, set()).add(ending)
        try:
            ended, job = await write()
            if ended and self.events is not None:  # followers first: a webhook may take long
                await self.events.publish(JobEvent(job_id=job_id, ended=True))
            if ended and job is not None and self.on_finished is not None:
                try:
                    await self.on_finished(job)
                except Exception:  # a notification problem must not undo the job
                    logger.exception("notifying the end of job %s failed", job_id)
            return job
        finally:
            ending.set()
            endings = self._ending.get(job_id, set())
            endings.discard(ending)
            if not endings:
                self._ending.pop(job_id, None)

    async def finish_after_crash(self, job_id: str, exc: Exception) -> None:
        """Record a job as failed after an unexpected error (a store failing too is only logged)."""
        try:
            await self._finish(job_id, JobStatus.FAILED, f"internal error: {exc}")
        except Exception:  # the store itself is failing; the job is recovered at the next start
            logger.exception("could not record the failure of job %s", job_id)


def _json_object(action: str, data: Any) -> dict[str, Any]:
    """Check that an action returned a JSON object."""
    if not isinstance(data, dict):
        raise ActionError(f"action {action!r} returned {type(data).__name__}, not an object")
    try:
        json.dumps(data)
    except (TypeError, ValueError) as exc:
        raise ActionError(f"action {action!r} returned data that is not JSON: {exc}") from exc
    return data
