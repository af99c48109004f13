"""Where workflows, jobs, task outcomes, task outputs and webhook attempts are kept.

:class:`JobStore` is the interface the engine, the APIs and the webhook sender
use; :class:`SqliteJobStore` implements it with the standard library's
``sqlite3`` in WAL mode (readers never block the writer). Another backend
(Redis, PostgreSQL) only has to implement the protocol.

The SQLite store runs its statements on its own small thread pool, so status
reads never queue behind file I/O or image work; one connection per thread,
writes serialised by a lock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Optional, Protocol, TypeVar, runtime_checkable
from uuid import UUID

from pydantic import BaseModel

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.files import new_handle
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobStatus,
    TaskOutput,
    WebhookAttempt,
    WorkflowRecord,
)
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.stores import rows as store_rows
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState

T = TypeVar("T")

DB_FILENAME = "workflows.db"

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS workflows (
        id         TEXT PRIMARY KEY,
        body       TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS jobs (
        uuid          TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL,
        workflow      TEXT NOT NULL,
        source        TEXT NOT NULL,
        source_handle TEXT,
        status        TEXT NOT NULL,
        status_text   TEXT NOT NULL,
        base_url      TEXT,
        created_at    INTEGER NOT NULL,
        started_at    INTEGER,
        updated_at    INTEGER NOT NULL,
        finished_at   INTEGER,
        runs          INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_workflow ON jobs (workflow_id, created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status)",
    "CREATE INDEX IF NOT EXISTS jobs_by_finished ON jobs (finished_at)",
    """CREATE TABLE IF NOT EXISTS job_tasks (
        job_uuid    TEXT NOT NULL,
        task_id     TEXT NOT NULL,
        state       TEXT NOT NULL,
        result      TEXT,
        reason      TEXT,
        started_at  TEXT,
        finished_at TEXT,
        PRIMARY KEY (job_uuid, task_id)
    )""",
    """CREATE TABLE IF NOT EXISTS job_outputs (
        job_uuid  TEXT NOT NULL,
        task_id   TEXT NOT NULL,
        handle    TEXT NOT NULL,
        temporary INTEGER NOT NULL,
        PRIMARY KEY (job_uuid, task_id)
    )""",
    """CREATE TABLE IF NOT EXISTS webhook_attempts (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        job_uuid    TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        url         TEXT NOT NULL,
        at          INTEGER NOT NULL,
        status_code INTEGER,
        error       TEXT,
        delivered   INTEGER NOT NULL,
        duration_ms REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_by_job ON webhook_attempts (job_uuid, attempt)",
)

_JOB_COLUMNS = store_rows.JOB_COLUMNS
_UNFINISHED = store_rows.UNFINISHED


class PurgeResult(BaseModel):
    """What a purge removed: how many jobs, and the temporary files they left behind."""

    jobs: int
    temporary_handles: list[str]


@runtime_checkable
class JobStore(Protocol):
    """Persistence of workflows, jobs, task outcomes, task outputs and webhook attempts."""

    async def save_workflow(self, workflow: WorkflowRecord) -> None:
        """Insert or replace a workflow."""
        ...

    async def get_workflow(self, workflow_id: str) -> Optional[WorkflowRecord]:
        """A workflow by id, or ``None``."""
        ...

    async def list_workflows(self) -> list[WorkflowRecord]:
        """Every workflow, oldest first."""
        ...

    async def delete_workflow(self, workflow_id: str) -> bool:
        """Remove a workflow; ``True`` if it existed. Its jobs keep their snapshot."""
        ...

    async def create_job(self, job: JobRecord) -> None:
        """Record a new job."""
        ...

    async def discard_job(self, job_id: str) -> None:
        """Forget a job that was never accepted (its enqueue failed)."""
        ...

    async def get_job(self, job_id: str) -> Optional[JobRecord]:
        """A job with its task outcomes, or ``None``."""
        ...

    async def mark_running(self, job_id: str, at: int) -> JobRecord:
        """Record that a runner picked the unfinished job up; return the job (as it is if it ended)."""
        ...

    async def set_source_handle(self, job_id: str, handle: str, at: int) -> None:
        """Record the stored file the job's actions work on."""
        ...

    async def update_task(self, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> None:
        """Record the outcome (so far) of one task."""
        ...

    async def finish(self, job_id: str, status: JobStatus, text: str, at: int) -> bool:
        """Record the end of an unfinished job; ``False`` (nothing changed) if it had ended already."""
        ...

    async def list_recent(self, workflow_id: Optional[str] = None, limit: int = 20) -> list[JobRecord]:
        """The newest jobs, optionally of one workflow, newest first."""
        ...

    async def claim_unfinished(self, at: int) -> list[str]:
        """Reset queued and running jobs to pending (running tasks too); return their ids, oldest first."""
        ...

    async def purge_finished(self, before: int) -> PurgeResult:
        """Delete jobs that finished before ``before``, with everything recorded about them."""
        ...

    async def reserve_output(self, job_id: str, task_id: str, *, temporary: bool) -> TaskOutput:
        """The output handle of a task, reserving a fresh one on first call."""
        ...

    async def add_webhook_attempt(self, attempt: WebhookAttempt) -> None:
        """Record one webhook delivery attempt."""
        ...

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        """A job's webhook attempts in order."""
        ...

    async def close(self) -> None:
        """Release connections and threads."""
        ...


_valid_uuid = store_rows.valid_uuid


class SqliteJobStore:
    """:class:`JobStore` on SQLite (stdlib ``sqlite3``, WAL mode)."""

    def __init__(self, path: Path, *, threads: int = 4) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._connections_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="workflow-store")
        conn = self._connect()
        conn.execute("PRAGMA journal_mode=WAL")
        with self._write_lock:
            for statement in _SCHEMA:
                conn.execute(statement)

    # -- plumbing ----------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        conn: Optional[sqlite3.Connection] = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA busy_timeout=30000")
            self._local.conn = conn
            with self._connections_lock:
                self._connections.append(conn)
        return conn

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    def _write(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[int]:
        """Run statements in one transaction; return each one's row count."""
        conn = self._connect()
        counts: list[int] = []
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                for sql, params in statements:
                    counts.append(conn.execute(sql, tuple(params)).rowcount)
            except sqlite3.Error:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return counts

    def _query(self, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
        return self._connect().execute(sql, tuple(params)).fetchall()

    # -- workflows ---------------------------------------------------------

    async def save_workflow(self, workflow: WorkflowRecord) -> None:
        body = workflow.model_dump_json()
        await self._call(
            self._write,
            [
                (
                    "INSERT INTO workflows (id, body, created_at, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                    (str(workflow.id), body, workflow.created_at, workflow.updated_at),
                )
            ],
        )

    async def get_workflow(self, workflow_id: str) -> Optional[WorkflowRecord]:
        key = _valid_uuid(workflow_id)
        if key is None:
            return None
        rows = await self._call(self._query, "SELECT body FROM workflows WHERE id = ?", (key,))
        return WorkflowRecord.model_validate_json(rows[0][0]) if rows else None

    async def list_workflows(self) -> list[WorkflowRecord]:
        rows = await self._call(self._query, "SELECT body FROM workflows ORDER BY created_at, id")
        return [WorkflowRecord.model_validate_json(row[0]) for row in rows]

    async def delete_workflow(self, workflow_id: str) -> bool:
        key = _valid_uuid(workflow_id)
        if key is None:
            return False
        counts = await self._call(self._write, [("DELETE FROM workflows WHERE id = ?", (key,))])
        return counts[0] > 0

    # -- jobs --------------------------------------------------------------

    async def create_job(self, job: JobRecord) -> None:
        statements: list[tuple[str, Sequence[Any]]] = [
            (
                f"INSERT INTO jobs (workflow_id, {', '.join(_JOB_COLUMNS)}) "
                f"VALUES (?, {', '.join('?' * len(_JOB_COLUMNS))})",
                store_rows.job_values(job),
            )
        ]
        statements.extend(
            self._task_upsert(job.id, task_id, outcome) for task_id, outcome in job.tasks.items()
        )
        await self._call(self._write, statements)

    async def discard_job(self, job_id: str) -> None:
        await self._call(self._write, self._job_deletes([job_id]))

    async def get_job(self, job_id: str) -> Optional[JobRecord]:
        key = _valid_uuid(job_id)
        if key is None:
            return None
        jobs = await self._call(
            self._load_jobs, f"SELECT {', '.join(_JOB_COLUMNS)} FROM jobs WHERE uuid = ?", (key,)
        )
        return jobs[0] if jobs else None

    async def mark_running(self, job_id: str, at: int) -> JobRecord:
        counts = await self._call(
            self._write,
            [
                (
                    "UPDATE jobs SET status = ?, started_at = COALESCE(started_at, ?), updated_at = ?, "
                    "runs = runs + 1 WHERE uuid = ? AND status IN (?, ?)",
                    (JobStatus.RUNNING.value, at, at, job_id, *_UNFINISHED),
                )
            ],
        )
        job = await self.get_job(job_id)
        if job is None or (not counts[0] and not job.status.finished):
            raise JobNotFound(job_id)
        return job

    async def set_source_handle(self, job_id: str, handle: str, at: int) -> None:
        await self._call(
            self._write,
            [("UPDATE jobs SET source_handle = ?, updated_at = ? WHERE uuid = ?", (handle, at, job_id))],
        )

    async def update_task(self, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> None:
        await self._call(
            self._write,
            [
                self._task_upsert(job_id, task_id, outcome),
                ("UPDATE jobs SET updated_at = ? WHERE uuid = ?", (at, job_id)),
            ],
        )

    async def finish(self, job_id: str, status: JobStatus, text: str, at: int) -> bool:
        counts = await self._call(
            self._write,
            [
                (
                    "UPDATE jobs SET status = ?, status_text = ?, updated_at = ?, finished_at = ? "
                    "WHERE uuid = ? AND status IN (?, ?)",
                    (status.value, text, at, at, job_id, *_UNFINISHED),
                )
            ],
        )
        return counts[0] > 0

    async def list_recent(self, workflow_id: Optional[str] = None, limit: int = 20) -> list[JobRecord]:
        columns = ", ".join(_JOB_COLUMNS)
        if workflow_id is None:
            return await self._call(
                self._load_jobs, f"SELECT {columns} FROM jobs ORDER BY created_at DESC LIMIT ?", (limit,)
            )
        key = _valid_uuid(workflow_id) or workflow_id
        return await self._call(
            self._load_jobs,
            f"SELECT {columns} FROM jobs WHERE workflow_id = ? ORDER BY created_at DESC LIMIT ?",
            (key, limit),
        )

    async def claim_unfinished(self, at: int) -> list[str]:
        return await self._call(self._claim_unfinished, at)

    def _claim_unfinished(self, at: int) -> list[str]:
        conn = self._connect()
        with self._write_lock:
            conn.execute("BEGIN IMMEDIATE")
            try:
                rows = conn.execute(
                    "SELECT uuid FROM jobs WHERE status IN (?, ?) ORDER BY created_at", _UNFINISHED
                ).fetchall()
                ids = [row[0] for row in rows]
                for job_id in ids:
                    conn.execute(
                        "UPDATE job_tasks SET state = ?, started_at = NULL WHERE job_uuid = ? AND state = ?",
                        (TaskState.PENDING.value, job_id, TaskState.RUNNING.value),
                    )
                    conn.execute(
                        "UPDATE jobs SET status = ?, updated_at = ? WHERE uuid = ?",
                        (JobStatus.PENDING.value, at, job_id),
                    )
            except sqlite3.Error:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        return ids

    async def purge_finished(self, before: int) -> PurgeResult:
        return await self._call(self._purge_finished, before)

    def _purge_finished(self, before: int) -> PurgeResult:
        rows = self._query(
            "SELECT uuid FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?", (before,)
        )
        ids = [row[0] for row in rows]
        if not ids:
            return PurgeResult(jobs=0, temporary_handles=[])
        handles: list[str] = []
        for chunk in _chunks(ids, 500):
            marks = ", ".join("?" * len(chunk))
            handles.extend(
                row[0]
                for row in self._query(
                    f"SELECT handle FROM job_outputs WHERE temporary = 1 AND job_uuid IN ({marks})", chunk
                )
            )
            self._write(self._job_deletes(chunk))
        return PurgeResult(jobs=len(ids), temporary_handles=handles)

    # -- outputs -----------------------------------------------------------

    async def reserve_output(self, job_id: str, task_id: str, *, temporary: bool) -> TaskOutput:
        return await self._call(self._reserve_output, job_id, task_id, temporary)

    def _reserve_output(self, job_id: str, task_id: str, temporary: bool) -> TaskOutput:
        self._write(
            [
                (
                    "INSERT INTO job_outputs (job_uuid, task_id, handle, temporary) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT(job_uuid, task_id) DO NOTHING",
                    (job_id, task_id, new_handle(), int(temporary)),
                )
            ]
        )
        row = self._query(
            "SELECT handle, temporary FROM job_outputs WHERE job_uuid = ? AND task_id = ?", (job_id, task_id)
        )[0]
        return TaskOutput(job_uuid=UUID(job_id), task_id=task_id, handle=row[0], temporary=bool(row[1]))

    # -- webhooks ----------------------------------------------------------

    async def add_webhook_attempt(self, attempt: WebhookAttempt) -> None:
        await self._call(
            self._write,
            [
                (
                    f"INSERT INTO webhook_attempts ({store_rows.ATTEMPT_COLUMNS}) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    store_rows.attempt_values(attempt),
                )
            ],
        )

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        key = _valid_uuid(job_id)
        if key is None:
            return []
        rows = await self._call(
            self._query,
            f"SELECT {store_rows.ATTEMPT_COLUMNS} "
            "FROM webhook_attempts WHERE job_uuid = ? ORDER BY attempt, id",
            (key,),
        )
        return [store_rows.attempt_from_row(row) for row in rows]

    # -- lifecycle ---------------------------------------------------------

    async def close(self) -> None:
        self._executor.shutdown(wait=True)
        with self._connections_lock:
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    # -- helpers -----------------------------------------------------------

    @staticmethod
    def _task_upsert(job_id: str, task_id: str, outcome: TaskOutcome) -> tuple[str, Sequence[Any]]:
        return (
            "INSERT INTO job_tasks (job_uuid, task_id, state, result, reason, started_at, finished_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(job_uuid, task_id) DO UPDATE SET "
            "state = excluded.state, result = excluded.result, reason = excluded.reason, "
            "started_at = excluded.started_at, finished_at = excluded.finished_at",
            store_rows.task_values(job_id, task_id, outcome),
        )

    @staticmethod
    def _job_deletes(job_ids: Sequence[str]) -> list[tuple[str, Sequence[Any]]]:
        marks = ", ".join("?" * len(job_ids))
        return [
            (f"DELETE FROM {table} WHERE job_uuid IN ({marks})", job_ids)
            for table in ("job_tasks", "job_outputs", "webhook_attempts")
        ] + [(f"DELETE FROM jobs WHERE uuid IN ({marks})", job_ids)]

    def _load_jobs(self, sql: str, params: Sequence[Any]) -> list[JobRecord]:
        rows = self._query(sql, params)
        if not rows:
            return []
        outcomes: dict[str, dict[str, TaskOutcome]] = {row[0]: {} for row in rows}
        for chunk in _chunks(list(outcomes), 500):
            marks = ", ".join("?" * len(chunk))
            for job_id, task_id, state, result, reason, started, finished in self._query(
                f"SELECT {store_rows.TASK_COLUMNS} "
                f"FROM job_tasks WHERE job_uuid IN ({marks}) ORDER BY rowid",
                chunk,
            ):
                outcomes[job_id][task_id] = store_rows.outcome_from_row(
                    state, result, reason, started, finished
                )
        return [store_rows.job_from_row(row, outcomes[row[0]]) for row in rows]


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def open_job_store(data_dir: Path, deployment: DeploymentSettings, *, threads: int) -> JobStore:
    """The job store the deployment selects: PostgreSQL, or SQLite in ``data_dir``."""
    if deployment.uses_postgres:
        from dashboard.local_filestack.workflows.stores.postgres import PostgresJobStore

        return PostgresJobStore(deployment.postgres_dsn, threads=threads)
    return SqliteJobStore(data_dir / DB_FILENAME, threads=threads)
