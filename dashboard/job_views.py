"""What the studio and the jobs console show of a job: rows of plain values. No I/O.

``GET /jobs/{uuid}`` gives each task's state, reason and times, and the results of the
tasks finished so far. When a service does not say when a task started and ended
(``startedAt``/``finishedAt``), the time is the one the follower observed, written ``~0.4 s``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from dashboard.filestack import (
    Job,
    StoredResult,
    TaskProgress,
    TaskResult,
    TaskState,
    WebhookAttempt,
    stored_outputs,
)
from dashboard.photo_checks import human_size

#: Observed times of a job's tasks: task id -> [start, end, 1.0 if the time is an upper bound] (seconds).
Observed = dict[str, list[float | None]]
#: A time the follower did not see (it came after the task had started).
UNKNOWN = math.nan
ThumbUrl = Callable[[str], str]


@dataclass
class OutputRow:
    """A file a task stored (or produced), with a thumbnail."""

    task: str
    url: str
    thumb: str
    label: str


@dataclass
class TaskRunRow:
    """One task of a job."""

    id: str
    action: str
    state: str
    reason: str
    time: str
    result_json: str
    outputs: list[OutputRow] = field(default_factory=list)


@dataclass
class AttemptRow:
    """One webhook delivery attempt."""

    attempt: int
    at: str
    status: str
    duration: str
    error: str
    delivered: bool


@dataclass
class JobRow:
    """A job in the console's list."""

    uuid: str
    workflow_id: str
    workflow_name: str
    state: str
    source: str
    created: str
    duration: str
    progress: str
    reason: str


def when(moment: datetime | None) -> str:
    """``2026-11-29 20:18:08 UTC`` (empty when unknown)."""
    if moment is None:
        return ""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def seconds_text(seconds: float | None, *, mark: str = "") -> str:
    """``0.42 s``, ``12.3 s``, ``2 min 5 s``, after ``mark`` (``~`` observed, ``≤`` at most)."""
    if seconds is None or seconds < 0 or math.isnan(seconds):
        return ""
    if seconds < 10:
        return f"{mark}{seconds:.2f} s"
    if seconds < 60:
        return f"{mark}{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{mark}{minutes} min {rest} s"


def milliseconds_text(milliseconds: float | None) -> str:
    """``3.2 ms`` below a second, else as :func:`seconds_text`."""
    if milliseconds is None or milliseconds < 0:
        return ""
    return f"{milliseconds:.1f} ms" if milliseconds < 1000 else seconds_text(milliseconds / 1000)


def observe(
    observed: Mapping[str, list[float | None]], job: Job, now: float, last_look: float | None = None
) -> Observed:
    """``observed`` updated with what ``job`` shows at ``now``.

    Each entry is ``[start, end, bound]``. ``last_look`` is when the follower looked before
    (for the first look: when it started the job, or ``None`` if someone else did). A task
    seen running starts when first seen so; one that went from waiting to finished between
    two looks started after ``last_look``, so its time is an upper bound (``bound`` = 1).
    What the follower could not see stays :data:`UNKNOWN`.
    """
    updated: Observed = {task: list(times) for task, times in observed.items()}
    for task_id, progress in job.tasks.items():
        first_look = task_id not in updated
        times = updated.setdefault(task_id, [None, None, 0.0])
        if first_look and last_look is None and progress.state is not TaskState.PENDING:
            times[0] = UNKNOWN
        if progress.state is TaskState.RUNNING and times[0] is None:
            times[0] = now
        if progress.state.finished and times[1] is None:
            times[1] = now
            if times[0] is None:
                times[0], times[2] = (last_look, 1.0) if last_look is not None else (UNKNOWN, 0.0)
    return updated


def task_time(progress: TaskProgress, observed: list[float | None] | None, now: float) -> str:
    """How long the task took (or has been running)."""
    if progress.started_at is not None:
        end = progress.finished_at or (datetime.now(UTC) if progress.state is TaskState.RUNNING else None)
        return seconds_text((end - progress.started_at).total_seconds()) if end else ""
    if progress.finished_at is not None:  # the service says when it ended but not that it ran (skipped)
        return ""
    if not observed or observed[0] is None or math.isnan(observed[0]):
        return ""
    seen_end = (
        observed[1] if observed[1] is not None else (now if progress.state is TaskState.RUNNING else None)
    )
    bound = len(observed) > 2 and bool(observed[2])
    return seconds_text(seen_end - observed[0], mark="≤" if bound else "~") if seen_end is not None else ""


def _result_json(result: TaskResult | None) -> str:
    if result is None:
        return ""
    return json.dumps(result.model_dump(mode="json", exclude_none=True), indent=2, ensure_ascii=False)


def output_label(output: StoredResult) -> str:
    """``photo.jpg · 120×90 · 1.2 KB``."""
    parts = [output.filename or output.handle or "file"]
    if output.width and output.height:
        parts.append(f"{output.width}×{output.height}")
    if output.size:
        parts.append(human_size(output.size))
    return " · ".join(parts)


def _output_row(output: StoredResult, thumb: ThumbUrl) -> OutputRow:
    return OutputRow(
        task=output.task,
        url=output.url,
        thumb=thumb(output.handle) if output.handle else output.url,
        label=output_label(output),
    )


def task_rows(
    job: Job,
    thumb: ThumbUrl,
    observed: Mapping[str, list[float | None]] | None = None,
    now: float = 0.0,
) -> list[TaskRunRow]:
    """Every task of the job in run order, with state, time, reason, result and outputs."""
    results = dict(job.results)
    outputs: dict[str, list[OutputRow]] = {}
    for output in stored_outputs(results):
        outputs.setdefault(output.task, []).append(_output_row(output, thumb))
    action_of = {task.task_id: task.action for task in job.workflow.tasks}
    rows = []
    for task_id, progress in job.tasks.items():
        result = results.get(task_id)
        reason = progress.reason or (str(result.error) if result is not None and result.error else "")
        rows.append(
            TaskRunRow(
                id=task_id,
                action=action_of.get(task_id, task_id),
                state=progress.state.value,
                reason=reason,
                time=task_time(progress, (observed or {}).get(task_id), now),
                result_json=_result_json(result),
                outputs=outputs.get(task_id, []),
            )
        )
    return rows


def job_states(job: Job) -> dict[str, str]:
    """Each task's state, for colouring the graph."""
    return {task_id: progress.state.value for task_id, progress in job.tasks.items()}


def job_duration(job: Job, now: datetime | None = None) -> str:
    """From start to the last update once finished; running time so far otherwise."""
    if job.started_at is None:
        return ""
    end = job.updated_at if job.finished else (now or datetime.now(UTC))
    return seconds_text((end - job.started_at).total_seconds()) if end else ""


def job_row(job: Job) -> JobRow:
    """A job as one line of the console."""
    done = sum(1 for p in job.tasks.values() if p.state.finished)
    return JobRow(
        uuid=job.uuid,
        workflow_id=job.workflow_id,
        workflow_name=job.workflow.name,
        state=job.state.value,
        source=job.handle or "",
        created=when(job.created_at),
        duration=job_duration(job),
        progress=f"{done}/{len(job.tasks)}",
        reason=job.status.text,
    )


def attempt_row(attempt: WebhookAttempt) -> AttemptRow:
    """A webhook delivery attempt as one line."""
    if attempt.status_code is not None:
        status = f"HTTP {attempt.status_code}"
    else:
        status = "no answer"
    return AttemptRow(
        attempt=attempt.attempt,
        at=when(attempt.at),
        status=status,
        duration=milliseconds_text(attempt.duration_ms),
        error=attempt.error or "",
        delivered=attempt.delivered,
    )
