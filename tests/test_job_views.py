"""What the studio shows of a job's tasks: observed times, service times, outputs (no I/O)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from dashboard.filestack import Job, TaskProgress
from dashboard.job_views import job_row, milliseconds_text, observe, seconds_text, task_rows, task_time

WORKFLOW = {
    "id": "wf",
    "name": "w",
    "tasks": [{"id": "scan", "action": "sfw"}, {"id": "thumb", "action": "process"}],
}


def _job(states: dict[str, str], status: str = "running", **extra) -> Job:
    return Job.model_validate(
        {
            "uuid": "u",
            "status": {"type": status, "text": ""},
            "workflow": WORKFLOW,
            "handle": "h" * 20,
            "tasks": {task: {"state": state} for task, state in states.items()},
            **extra,
        }
    )


def test_a_follower_that_started_the_job_times_every_task() -> None:
    seen = observe({}, _job({"scan": "pending", "thumb": "pending"}), now=10.0, last_look=9.5)
    seen = observe(seen, _job({"scan": "running", "thumb": "pending"}), now=10.5, last_look=10.0)
    seen = observe(seen, _job({"scan": "done", "thumb": "pending"}), now=12.0, last_look=10.5)
    seen = observe(seen, _job({"scan": "done", "thumb": "done"}), now=12.25, last_look=12.0)
    assert seen == {"scan": [10.5, 12.0, 0.0], "thumb": [12.0, 12.25, 1.0]}
    job = _job({"scan": "done", "thumb": "done"}, status="done")
    rows = task_rows(job, lambda handle: f"thumb/{handle}", observed=seen, now=12.25)
    assert [(r.id, r.action, r.state, r.time) for r in rows] == [
        ("scan", "sfw", "done", "~1.50 s"),
        ("thumb", "process", "done", "≤0.25 s"),
    ]


def test_a_follower_that_came_late_does_not_make_times_up() -> None:
    seen = observe({}, _job({"scan": "done", "thumb": "running"}), now=100.0)
    assert math.isnan(seen["scan"][0]) and math.isnan(seen["thumb"][0])
    seen = observe(seen, _job({"scan": "done", "thumb": "done"}), now=101.0)
    rows = task_rows(_job({"scan": "done", "thumb": "done"}, status="done"), str, observed=seen, now=101.0)
    assert [r.time for r in rows] == ["", ""]


def test_times_the_service_gives_win() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    progress = TaskProgress.model_validate(
        {
            "state": "done",
            "startedAt": start.isoformat(),
            "finishedAt": (start + timedelta(seconds=2.5)).isoformat(),
        }
    )
    assert task_time(progress, [1.0, 9.0, 0.0], now=9.0) == "2.50 s"


def test_texts_of_durations_and_a_job_line() -> None:
    assert (seconds_text(0.4), seconds_text(12.34), seconds_text(125)) == ("0.40 s", "12.3 s", "2 min 5 s")
    assert milliseconds_text(3.21) == "3.2 ms" and milliseconds_text(2500) == "2.50 s"
    row = job_row(
        _job(
            {"scan": "done", "thumb": "skipped"},
            status="done",
            startedAt="2026-01-01T00:00:00.000Z",
            updatedAt="2026-01-01T00:00:01.250Z",
        )
    )
    assert (row.progress, row.duration, row.state, row.workflow_name) == ("2/2", "1.25 s", "done", "w")
