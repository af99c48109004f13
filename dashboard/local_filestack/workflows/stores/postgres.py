""":class:`~dashboard.local_filestack.workflows.stores.store.JobStore` on PostgreSQL, for many workers.

Same tables and meaning as the SQLite store; the schema is created on start.
Everything several workers may race on is decided by one statement: an output
handle is reserved with ``INSERT ... ON CONFLICT DO NOTHING`` (every run of a
task gets the same handle), and a job ends with an ``UPDATE ... WHERE status``
is unfinished (a job never ends twice). Statements run on the store's own
small thread pool with one psycopg connection per thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from uuid import UUID

from dashboard.local_filestack.storage.pg import PgDatabase, Statement
from dashboard.local_filestack.storage.files import new_handle
from dashboard.local_filestack.workflows.model.jobs import (
    JobRecord,
    JobStatus,
    TaskOutput,
    WebhookAttempt,
    WorkflowRecord,
)
from dashboard.local_filestack.workflows.stores import rows as store_rows
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.stores.store import PurgeResult

T = TypeVar("T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS workflows (
        id         TEXT PRIMARY KEY,
        body       TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
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
        created_at    BIGINT NOT NULL,
        started_at    BIGINT,
        updated_at    BIGINT NOT NULL,
        finished_at   BIGINT,
        runs          INTEGER NOT NULL DEFAULT 0
    )""",
    "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_workflow ON jobs (workflow_id, created_at)",
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status)",
    "CREATE INDEX IF NOT EXISTS jobs_by_finished ON jobs (finished_at)",
    """CREATE TABLE IF NOT EXISTS job_tasks (
        seq         BIGSERIAL,
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
        temporary BOOLEAN NOT NULL,
        PRIMARY KEY (job_uuid, task_id)
    )""",
    """CREATE TABLE IF NOT EXISTS webhook_attempts (
        id          BIGSERIAL PRIMARY KEY,
        job_uuid    TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        url         TEXT NOT NULL,
        at          BIGINT NOT NULL,
        status_code INTEGER,
        error       TEXT,
        delivered   BOOLEAN NOT NULL,
        duration_ms DOUBLE PRECISION NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS webhook_attempts_by_job ON webhook_attempts (job_uuid, attempt)",
)
_SCHEMA_LOCK = 8_424_001
"""Advisory lock id held while creating the schema, so workers starting together do not race."""

_JOB_COLUMNS = store_rows.JOB_COLUMNS
_UNFINISHED = list(store_rows.UNFINISHED)  # psycopg sends a list as an array for ANY(%s)


_valid_uuid = store_rows.valid_uuid


class PostgresJobStore:
    """:class:`JobStore` on PostgreSQL (psycopg 3)."""

    def __init__(self, dsn: str, *, threads: int = 4) -> None:
        self.db = PgDatabase(dsn, application_name="workflow-store")
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="workflow-pg-store")
        with self.db.transaction() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _SCHEMA:
                cursor.execute(statement)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    # -- workflows ---------------------------------------------------------

    async def save_workflow(self, workflow: WorkflowRecord) -> None:
        await self._call(
            self.db.execute,
            [
                (
                    "INSERT INTO workflows (id, body, created_at, updated_at) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
                    (str(workflow.id), workflow.model_dump_json(), workflow.created_at, workflow.updated_at),
                )
            ],
        )

    async def get_workflow(self, workflow_id: str) -> WorkflowRecord | None:
        key = _valid_uuid(workflow_id)
        if key is None:
            return None
        rows = await self._call(self.db.query, "SELECT body FROM workflows WHERE id = %s", (key,))
        return WorkflowRecord.model_validate_json(rows[0][0]) if rows else None

    async def list_workflows(self) -> list[WorkflowRecord]:
        rows = await self._call(self.db.query, "SELECT body FROM workflows ORDER BY created_at, id")
        return [WorkflowRecord.model_validate_json(row[0]) for row in rows]

    async def delete_workflow(self, workflow_id: str) -> bool:
        key = _valid_uuid(workflow_id)
        if key is None:
            return False
        counts = await self._call(self.db.execute, [("DELETE FROM workflows WHERE id = %s", (key,))])
        return counts[0] > 0

    # -- jobs --------------------------------------------------------------

    async def create_job(self, job: JobRecord) -> None:
        statements: list[Statement] = [
            (
                f"INSERT INTO jobs (workflow_id, {', '.join(_JOB_COLUMNS)}) "
                f"VALUES (%s, {', '.join(['%s'] * len(_JOB_COLUMNS))})",
                store_rows.job_values(job),
            )
        ]
        statements.extend(
            self._task_upsert(job.id, task_id, outcome) for task_id, outcome in job.tasks.items()
        )
        await self._call(self.db.execute, statements)

    async def discard_job(self, job_id: str) -> None:
        await self._call(self.db.execute, self._job_deletes([job_id]))

    async def get_job(self, job_id: str) -> JobRecord | None:
        key = _valid_uuid(job_id)
        if key is None:
            return None
        jobs = await self._call(self._load_jobs, "uuid = %s", (key,), "")
        return jobs[0] if jobs else None

    async def mark_running(self, job_id: str, at: int) -> JobRecord:
        counts = await self._call(
            self.db.execute,
            [
                (
                    "UPDATE jobs SET status = %s, started_at = COALESCE(started_at, %s), updated_at = %s, "
                    "runs = runs + 1 WHERE uuid = %s AND status = ANY(%s)",
                    (JobStatus.RUNNING.value, at, at, job_id, _UNFINISHED),
                )
            ],
        )
        job = await self.get_job(job_id)
        if job is None or (not counts[0] and not job.status.finished):
            raise JobNotFound(job_id)
        return job  # a job that already finished is returned as it is; the engine stops there

    async def set_source_handle(self, job_id: str, handle: str, at: int) -> None:
        await self._call(
            self.db.execute,
            [("UPDATE jobs SET source_handle = %s, updated_at = %s WHERE uuid = %s", (handle, at, job_id))],
        )

    async def update_task(self, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> None:
        await self._call(
            self.db.execute,
            [
                self._task_upsert(job_id, task_id, outcome),
                ("UPDATE jobs SET updated_at = %s WHERE uuid = %s", (at, job_id)),
            ],
        )

    async def finish(self, job_id: str, status: JobStatus, text: str, at: int) -> bool:
        counts = await self._call(
            self.db.execute,
            [
                (
                    "UPDATE jobs SET status = %s, status_text = %s, updated_at = %s, finished_at = %s "
                    "WHERE uuid = %s AND status = ANY(%s)",
                    (status.value, text, at, at, job_id, _UNFINISHED),
                )
            ],
        )
        return counts[0] > 0

    async def list_recent(self, workflow_id: str | None = None, limit: int = 20) -> list[JobRecord]:
        if workflow_id is None:
            return await self._call(
                self._load_jobs, "TRUE", (), f"ORDER BY created_at DESC LIMIT {int(limit)}"
            )
        key = _valid_uuid(workflow_id) or workflow_id
        return await self._call(
            self._load_jobs, "workflow_id = %s", (key,), f"ORDER BY created_at DESC LIMIT {int(limit)}"
        )

    async def claim_unfinished(self, at: int) -> list[str]:
        return await self._call(self._claim_unfinished, at)

    def _claim_unfinished(self, at: int) -> list[str]:
        with self.db.transaction() as cursor:
            cursor.execute(
                "SELECT uuid FROM jobs WHERE status = ANY(%s) ORDER BY created_at FOR UPDATE", (_UNFINISHED,)
            )
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                cursor.execute(
                    "UPDATE job_tasks SET state = %s, started_at = NULL WHERE job_uuid = ANY(%s) AND state = %s",
                    (TaskState.PENDING.value, ids, TaskState.RUNNING.value),
                )
                cursor.execute(
                    "UPDATE jobs SET status = %s, updated_at = %s WHERE uuid = ANY(%s)",
                    (JobStatus.PENDING.value, at, ids),
                )
        return ids

    async def purge_finished(self, before: int) -> PurgeResult:
        return await self._call(self._purge_finished, before)

    def _purge_finished(self, before: int) -> PurgeResult:
        with self.db.transaction() as cursor:
            cursor.execute(
                "DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < %s RETURNING uuid",
                (before,),
            )
            ids = [row[0] for row in cursor.fetchall()]
            if not ids:
                return PurgeResult(jobs=0, temporary_handles=[])
            cursor.execute(
                "DELETE FROM job_outputs WHERE job_uuid = ANY(%s) RETURNING handle, temporary", (ids,)
            )
            handles = [row[0] for row in cursor.fetchall() if row[1]]
            cursor.execute("DELETE FROM job_tasks WHERE job_uuid = ANY(%s)", (ids,))
            cursor.execute("DELETE FROM webhook_attempts WHERE job_uuid = ANY(%s)", (ids,))
        return PurgeResult(jobs=len(ids), temporary_handles=handles)

    # -- outputs -----------------------------------------------------------

    async def reserve_output(self, job_id: str, task_id: str, *, temporary: bool) -> TaskOutput:
        return await self._call(self._reserve_output, job_id, task_id, temporary)

    def _reserve_output(self, job_id: str, task_id: str, temporary: bool) -> TaskOutput:
        rows = self.db.query(
            "WITH added AS (INSERT INTO job_outputs (job_uuid, task_id, handle, temporary) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (job_uuid, task_id) DO NOTHING RETURNING handle, temporary) "
            "SELECT handle, temporary FROM added UNION ALL "
            "SELECT handle, temporary FROM job_outputs WHERE job_uuid = %s AND task_id = %s",
            (job_id, task_id, new_handle(), temporary, job_id, task_id),
        )
        if not rows:  # another worker's reservation committed after this statement's snapshot
            rows = self.db.query(
                "SELECT handle, temporary FROM job_outputs WHERE job_uuid = %s AND task_id = %s",
                (job_id, task_id),
            )
        handle, kept_temporary = rows[0]
        return TaskOutput(
            job_uuid=UUID(job_id), task_id=task_id, handle=handle, temporary=bool(kept_temporary)
        )

    # -- webhooks ----------------------------------------------------------

    async def add_webhook_attempt(self, attempt: WebhookAttempt) -> None:
        await self._call(
            self.db.execute,
            [
                (
                    f"INSERT INTO webhook_attempts ({store_rows.ATTEMPT_COLUMNS}) "
                    "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                    store_rows.attempt_values(attempt),
                )
            ],
        )

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        key = _valid_uuid(job_id)
        if key is None:
            return []
        rows = await self._call(
            self.db.query,
            f"SELECT {store_rows.ATTEMPT_COLUMNS} "
            "FROM webhook_attempts WHERE job_uuid = %s ORDER BY attempt, id",
            (key,),
        )
        return [store_rows.attempt_from_row(row) for row in rows]

    # -- lifecycle ---------------------------------------------------------

    async def close(self) -> None:
        self._executor.shutdown(wait=True)
        self.db.close()

    # -- helpers -----------------------------------------------------------

    @staticmethod
    def _task_upsert(job_id: str, task_id: str, outcome: TaskOutcome) -> Statement:
        return (
            "INSERT INTO job_tasks (job_uuid, task_id, state, result, reason, started_at, finished_at) "
            "VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT (job_uuid, task_id) DO UPDATE SET "
            "state = excluded.state, result = excluded.result, reason = excluded.reason, "
            "started_at = excluded.started_at, finished_at = excluded.finished_at",
            store_rows.task_values(job_id, task_id, outcome),
        )

    @staticmethod
    def _job_deletes(job_ids: Sequence[str]) -> list[Statement]:
        ids = list(job_ids)
        return [
            (f"DELETE FROM {table} WHERE job_uuid = ANY(%s)", (ids,))
            for table in ("job_tasks", "job_outputs", "webhook_attempts")
        ] + [("DELETE FROM jobs WHERE uuid = ANY(%s)", (ids,))]

    def _load_jobs(self, where: str, params: Sequence[Any], tail: str) -> list[JobRecord]:
        """Jobs matching ``where`` with their task outcomes, in one round trip."""
        rows = self.db.query(
            f"WITH picked AS (SELECT {', '.join(_JOB_COLUMNS)} FROM jobs WHERE {where} {tail}) "
            "SELECT picked.*, COALESCE((SELECT json_agg(json_build_array(t.task_id, t.state, t.result, "
            "t.reason, t.started_at, t.finished_at) ORDER BY t.seq) FROM job_tasks t "
            "WHERE t.job_uuid = picked.uuid), '[]'::json) FROM picked "
            f"{tail.split(' LIMIT ')[0] if tail else ''}",
            params,
        )
        return [
            store_rows.job_from_row(
                row,
                {
                    task_id: store_rows.outcome_from_row(*values)
                    for task_id, *values in row[len(_JOB_COLUMNS)]
                },
            )
            for row in rows
        ]
