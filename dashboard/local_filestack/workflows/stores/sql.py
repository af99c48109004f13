"""The job store on a SQL database: the same statements on SQLite (one machine) and PostgreSQL (many workers).

What differs between the two -- placeholders, value lists, column types, and the two reads
PostgreSQL answers in one round trip -- comes from the database's
:class:`~dashboard.local_filestack.storage.sql.Dialect`. Everything several workers may race
on is decided by one statement: an output handle is reserved with ``INSERT … ON CONFLICT DO
NOTHING`` (every run of a task gets the same handle), and a job ends with an ``UPDATE … WHERE``
its status is unfinished (a job never ends twice).

Statements run on the store's own small thread pool, so status reads never queue behind
file I/O or image work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.factory import open_database
from dashboard.local_filestack.storage.files import new_handle
from dashboard.local_filestack.storage.sql import Cursor, Database, Dialect, Statement
from dashboard.local_filestack.workflows.model.errors import JobNotFound
from dashboard.local_filestack.workflows.model.jobs import (
    JobFilter,
    JobRecord,
    JobStatus,
    TaskOutput,
    WebhookAttempt,
    WorkflowRecord,
)
from dashboard.local_filestack.workflows.model.workflow import TaskOutcome, TaskState
from dashboard.local_filestack.workflows.stores import rows
from dashboard.local_filestack.workflows.stores.batching import WriteBatcher
from dashboard.local_filestack.workflows.stores.store import PurgeResult

T = TypeVar("T")

#: The job store's SQLite file in the data dir (one machine).
DB_FILENAME = "workflows.db"
#: How many ids one ``IN (…)`` list holds at most (SQLite's parameter limit).
CHUNK = 500

_JOB_COLUMNS = ", ".join(rows.JOB_COLUMNS)


def schema(dialect: Dialect) -> tuple[str, ...]:
    """The store's tables and indexes in ``dialect``."""
    big = dialect.big_integer
    order = f"{dialect.insertion_order} BIGSERIAL,\n        " if dialect.insertion_order != "rowid" else ""
    return (
        f"""CREATE TABLE IF NOT EXISTS workflows (
        id         TEXT PRIMARY KEY,
        body       TEXT NOT NULL,
        created_at {big} NOT NULL,
        updated_at {big} NOT NULL
    )""",
        f"""CREATE TABLE IF NOT EXISTS jobs (
        uuid          TEXT PRIMARY KEY,
        workflow_id   TEXT NOT NULL,
        workflow      TEXT NOT NULL,
        source        TEXT NOT NULL,
        source_handle TEXT,
        status        TEXT NOT NULL,
        status_text   TEXT NOT NULL,
        base_url      TEXT,
        created_at    {big} NOT NULL,
        started_at    {big},
        updated_at    {big} NOT NULL,
        finished_at   {big},
        runs          INTEGER NOT NULL DEFAULT 0,
        replay_of     TEXT,
        cancelled_by  TEXT,
        lease_owner   TEXT,
        lease_until   {big},
        triggered_by  TEXT
    )""",
        "CREATE INDEX IF NOT EXISTS jobs_by_created ON jobs (created_at)",
        "CREATE INDEX IF NOT EXISTS jobs_by_workflow ON jobs (workflow_id, created_at)",
        "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status)",
        "CREATE INDEX IF NOT EXISTS jobs_by_finished ON jobs (finished_at)",
        "CREATE INDEX IF NOT EXISTS jobs_by_replayed ON jobs (replay_of)",
        "CREATE INDEX IF NOT EXISTS jobs_by_lease ON jobs (lease_until)",
        f"""CREATE TABLE IF NOT EXISTS job_tasks (
        {order}job_uuid    TEXT NOT NULL,
        task_id     TEXT NOT NULL,
        state       TEXT NOT NULL,
        result      TEXT,
        reason      TEXT,
        started_at  TEXT,
        finished_at TEXT,
        PRIMARY KEY (job_uuid, task_id)
    )""",
        f"""CREATE TABLE IF NOT EXISTS job_outputs (
        job_uuid  TEXT NOT NULL,
        task_id   TEXT NOT NULL,
        handle    TEXT NOT NULL,
        temporary {dialect.boolean} NOT NULL,
        PRIMARY KEY (job_uuid, task_id)
    )""",
        f"""CREATE TABLE IF NOT EXISTS webhook_attempts (
        id          {dialect.serial_key},
        job_uuid    TEXT NOT NULL,
        attempt     INTEGER NOT NULL,
        url         TEXT NOT NULL,
        at          {big} NOT NULL,
        status_code INTEGER,
        error       TEXT,
        delivered   {dialect.boolean} NOT NULL,
        duration_ms {dialect.real} NOT NULL
    )""",
        "CREATE INDEX IF NOT EXISTS webhook_attempts_by_job ON webhook_attempts (job_uuid, attempt)",
        # One job per (file, workflow) started by a file's arrival, whatever retries or restarts.
        """CREATE TABLE IF NOT EXISTS arrival_jobs (
        handle      TEXT NOT NULL,
        workflow_id TEXT NOT NULL,
        job_uuid    TEXT NOT NULL,
        PRIMARY KEY (handle, workflow_id)
    )""",
    )


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class SqlJobStore:
    """:class:`~dashboard.local_filestack.workflows.stores.store.JobStore` on a SQL database."""

    def __init__(self, db: Database, *, threads: int = 4, batch_writes: bool | None = None) -> None:
        self.db = db
        self.dialect = db.dialect
        self._mark = db.dialect.mark
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="workflow-store")
        #: A job's hot writes (create, start, task outcomes, end) committed in groups: on SQLite,
        #: which writes one transaction at a time anyway. PostgreSQL takes concurrent writers.
        if batch_writes is None:
            batch_writes = db.dialect.name == "sqlite"
        self._batcher = WriteBatcher(db) if batch_writes else None
        with db.transaction() as cursor:
            if self.dialect.schema_lock:
                cursor.execute(self.dialect.schema_lock)
            statements = schema(self.dialect)
            cursor.execute(statements[0])
            cursor.execute(statements[1])
            cursor.execute(self.dialect.column_names, ("jobs",))
            present = {row[0] for row in cursor.fetchall()}
            for column, kind in rows.ADDED_JOB_COLUMNS:  # a jobs table from an earlier version
                if column not in present:
                    cursor.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
            for statement in statements[2:]:
                cursor.execute(statement)

    async def _call(self, function: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, function, *args)

    async def _write(self, write: Callable[[Cursor], T]) -> T:
        """Run ``write`` in a transaction: batched with other writes when the store batches."""
        if self._batcher is not None:
            return await self._batcher.run(write)

        def alone() -> T:
            with self.db.transaction() as cursor:
                return write(cursor)

        return await self._call(alone)

    @staticmethod
    def _statements(statements: Sequence[Statement]) -> Callable[[Cursor], list[int]]:
        def run(cursor: Cursor) -> list[int]:
            counts: list[int] = []
            for sql, params in statements:
                cursor.execute(sql, tuple(params))
                counts.append(cursor.rowcount)
            return counts

        return run

    def _marks(self, count: int) -> str:
        return self.dialect.marks(count)

    # -- workflows ---------------------------------------------------------

    async def save_workflow(self, workflow: WorkflowRecord) -> None:
        await self._call(
            self.db.execute,
            [
                (
                    (
                        f"INSERT INTO workflows (id, body, created_at, updated_at) VALUES ({self._marks(4)}) "
                        "ON CONFLICT (id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at"
                    ),
                    (str(workflow.id), workflow.model_dump_json(), workflow.created_at, workflow.updated_at),
                )
            ],
        )

    async def get_workflow(self, workflow_id: str) -> WorkflowRecord | None:
        key = rows.valid_uuid(workflow_id)
        if key is None:
            return None
        found = await self._call(self.db.query, f"SELECT body FROM workflows WHERE id = {self._mark}", (key,))
        return WorkflowRecord.model_validate_json(found[0][0]) if found else None

    async def list_workflows(self) -> list[WorkflowRecord]:
        found = await self._call(self.db.query, "SELECT body FROM workflows ORDER BY created_at, id")
        return [WorkflowRecord.model_validate_json(row[0]) for row in found]

    async def delete_workflow(self, workflow_id: str) -> bool:
        key = rows.valid_uuid(workflow_id)
        if key is None:
            return False
        counts = await self._call(
            self.db.execute, [(f"DELETE FROM workflows WHERE id = {self._mark}", (key,))]
        )
        return counts[0] > 0

    # -- jobs --------------------------------------------------------------

    async def create_job(self, job: JobRecord) -> None:
        statements: list[Statement] = [
            (
                f"INSERT INTO jobs (workflow_id, {_JOB_COLUMNS}) VALUES ({self._marks(len(rows.JOB_COLUMNS) + 1)})",
                rows.job_values(job),
            )
        ]
        statements.extend(
            self._task_upsert(job.id, task_id, outcome) for task_id, outcome in job.tasks.items()
        )
        await self._write(self._statements(statements))

    async def create_arrival_job(self, job: JobRecord, handle: str) -> tuple[str, bool]:
        return await self._call(self._create_arrival_job, job, handle)

    def _create_arrival_job(self, job: JobRecord, handle: str) -> tuple[str, bool]:
        mark = self._mark
        with self.db.transaction() as cursor:
            cursor.execute(
                f"INSERT INTO arrival_jobs (handle, workflow_id, job_uuid) VALUES ({self._marks(3)}) "
                "ON CONFLICT (handle, workflow_id) DO NOTHING",
                (handle, job.workflow_id, job.id),
            )
            if not cursor.rowcount:
                cursor.execute(
                    f"SELECT job_uuid FROM arrival_jobs WHERE handle = {mark} AND workflow_id = {mark}",
                    (handle, job.workflow_id),
                )
                existing = cursor.fetchone()
                if existing is None:  # the row that refused the insert is in the same transaction's view
                    raise RuntimeError(f"arrival of {handle} for {job.workflow_id} is recorded and missing")
                return str(existing[0]), False
            cursor.execute(
                f"INSERT INTO jobs (workflow_id, {_JOB_COLUMNS}) VALUES ({self._marks(len(rows.JOB_COLUMNS) + 1)})",
                rows.job_values(job),
            )
        return job.id, True

    async def discard_job(self, job_id: str) -> None:
        await self._call(self.db.execute, self._job_deletes([job_id]))

    async def get_job(self, job_id: str) -> JobRecord | None:
        key = rows.valid_uuid(job_id)
        if key is None:
            return None
        jobs = await self._call(self._load_jobs, f"uuid = {self._mark}", (key,), "")
        return jobs[0] if jobs else None

    async def mark_running(self, job_id: str, at: int) -> JobRecord:
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        update = (
            (
                f"UPDATE jobs SET status = {mark}, started_at = COALESCE(started_at, {mark}), "
                f"updated_at = {mark}, runs = runs + 1 WHERE uuid = {mark} AND {unfinished}"
            ),
            (JobStatus.RUNNING.value, at, at, job_id, *params),
        )
        if self._batcher is not None:  # marked and read back in the batch (the writer's connection)

            def mark_and_read(cursor: Cursor) -> tuple[int, JobRecord | None]:
                cursor.execute(*update)
                found = self._load_jobs(f"uuid = {mark}", (job_id,), "")
                return cursor.rowcount, (found[0] if found else None)

            count, job = await self._write(mark_and_read)
        else:
            counts = await self._call(self.db.execute, [update])
            count, job = counts[0], await self.get_job(job_id)
        if job is None or (not count and not job.status.finished):
            raise JobNotFound(job_id)
        return job  # a job that already finished is returned as it is; the engine stops there

    async def set_source_handle(self, job_id: str, handle: str, at: int) -> None:
        mark = self._mark
        await self._call(
            self.db.execute,
            [
                (
                    f"UPDATE jobs SET source_handle = {mark}, updated_at = {mark} WHERE uuid = {mark}",
                    (handle, at, job_id),
                )
            ],
        )

    async def update_task(self, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> bool:
        return await self._write(lambda cursor: self._update_task(cursor, job_id, task_id, outcome, at))

    def _update_task(self, cursor: Cursor, job_id: str, task_id: str, outcome: TaskOutcome, at: int) -> bool:
        # The job's row first: on PostgreSQL it is locked until the end, so a cancel and this
        # write happen one after the other, and a job that ended (cancelled) takes no more.
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        cursor.execute(
            f"UPDATE jobs SET updated_at = {self._mark} WHERE uuid = {self._mark} AND {unfinished}",
            (at, job_id, *params),
        )
        if not cursor.rowcount:
            return False
        cursor.execute(*self._task_upsert(job_id, task_id, outcome))
        return True

    async def finish(self, job_id: str, status: JobStatus, text: str, at: int) -> bool:
        ended, _job = await self._write(
            lambda cursor: self._end_job(cursor, job_id, status, text, at, {}, False)
        )
        return ended

    async def end_job(
        self, job_id: str, status: JobStatus, text: str, at: int, tasks: Mapping[str, TaskOutcome]
    ) -> tuple[bool, JobRecord | None]:
        if self._batcher is not None:  # written and read back in the batch (the writer's connection)
            return await self._write(
                lambda cursor: self._end_job(cursor, job_id, status, text, at, tasks, True)
            )
        ended, _job = await self._write(
            lambda cursor: self._end_job(cursor, job_id, status, text, at, tasks, False)
        )
        return ended, await self.get_job(job_id)

    def _end_job(
        self,
        cursor: Cursor,
        job_id: str,
        status: JobStatus,
        text: str,
        at: int,
        tasks: Mapping[str, TaskOutcome],
        read: bool,
    ) -> tuple[bool, JobRecord | None]:
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        cursor.execute(
            (
                f"UPDATE jobs SET status = {mark}, status_text = {mark}, updated_at = {mark}, "
                f"finished_at = {mark} WHERE uuid = {mark} AND {unfinished}"
            ),
            (status.value, text, at, at, job_id, *params),
        )
        ended = cursor.rowcount > 0
        if ended:
            for task_id, outcome in tasks.items():
                cursor.execute(*self._task_upsert(job_id, task_id, outcome))
        if not read:
            return ended, None
        found = self._load_jobs(f"uuid = {mark}", (job_id,), "")
        return ended, (found[0] if found else None)

    async def cancel(self, job_id: str, text: str, by: str, at: int, unstarted: Sequence[str]) -> bool:
        return await self._call(self._cancel, job_id, text, by, at, tuple(unstarted))

    def _cancel(self, job_id: str, text: str, by: str, at: int, unstarted: tuple[str, ...]) -> bool:
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        stamp = datetime.fromtimestamp(at / 1_000_000_000, tz=UTC).isoformat()
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE jobs SET status = {mark}, status_text = {mark}, cancelled_by = {mark}, "
                f"updated_at = {mark}, finished_at = {mark} WHERE uuid = {mark} AND {unfinished}",
                (JobStatus.FAILED.value, text, by, at, at, job_id, *params),
            )
            if not cursor.rowcount:
                return False
            cursor.execute(
                f"UPDATE job_tasks SET state = {mark}, reason = {mark}, finished_at = {mark} "
                f"WHERE job_uuid = {mark} AND state = {mark}",
                (TaskState.FAILED.value, f"stopped: {text}", stamp, job_id, TaskState.RUNNING.value),
            )
            for task_id in unstarted:
                cursor.execute(
                    f"INSERT INTO job_tasks ({rows.TASK_COLUMNS}) VALUES ({self._marks(7)}) "
                    "ON CONFLICT (job_uuid, task_id) DO NOTHING",
                    (job_id, task_id, TaskState.SKIPPED.value, None, text, None, stamp),
                )
        return True

    async def list_jobs(self, selection: JobFilter) -> list[JobRecord]:
        mark = self._mark
        where: list[str] = []
        params: list[Any] = []
        if selection.workflow_id is not None:
            where.append(f"workflow_id = {mark}")
            params.append(rows.valid_uuid(selection.workflow_id) or selection.workflow_id)
        if selection.status is not None:
            where.append(f"status = {mark}")
            params.append(selection.status.value)
        if selection.created_from is not None:
            where.append(f"created_at >= {mark}")
            params.append(selection.created_from)
        if selection.created_before is not None:
            where.append(f"created_at < {mark}")
            params.append(selection.created_before)
        if selection.older_than is not None:
            created, uuid = selection.older_than
            where.append(f"(created_at < {mark} OR (created_at = {mark} AND uuid < {mark}))")
            params += [created, created, uuid]
        if selection.finished_since is not None:
            where.append(f"(finished_at IS NULL OR finished_at >= {mark})")
            params.append(selection.finished_since)
        tail = f"ORDER BY created_at DESC, uuid DESC LIMIT {int(selection.limit)}"
        return await self._call(self._load_jobs, " AND ".join(where) or "1 = 1", tuple(params), tail)

    async def replays_of(self, job_id: str) -> list[str]:
        key = rows.valid_uuid(job_id)
        if key is None:
            return []
        found = await self._call(
            self.db.query,
            f"SELECT uuid FROM jobs WHERE replay_of = {self._mark} ORDER BY created_at, uuid",
            (key,),
        )
        return [row[0] for row in found]

    async def list_recent(self, workflow_id: str | None = None, limit: int = 20) -> list[JobRecord]:
        tail = f"ORDER BY created_at DESC LIMIT {int(limit)}"
        if workflow_id is None:
            return await self._call(self._load_jobs, "1 = 1", (), tail)
        key = rows.valid_uuid(workflow_id) or workflow_id
        return await self._call(self._load_jobs, f"workflow_id = {self._mark}", (key,), tail)

    async def claim_unfinished(self, at: int) -> list[str]:
        return await self._call(self._claim_unfinished, at)

    def _claim_unfinished(self, at: int) -> list[str]:
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        with self.db.transaction() as cursor:
            cursor.execute(
                f"SELECT uuid FROM jobs WHERE {unfinished} ORDER BY created_at{self.dialect.lock_rows}",
                params,
            )
            ids = [row[0] for row in cursor.fetchall()]
            for chunk in _chunks(ids):
                tasks_of, task_params = self.dialect.one_of("job_uuid", chunk)
                cursor.execute(
                    f"UPDATE job_tasks SET state = {mark}, started_at = NULL WHERE {tasks_of} AND state = {mark}",
                    (TaskState.PENDING.value, *task_params, TaskState.RUNNING.value),
                )
                jobs_of, job_params = self.dialect.one_of("uuid", chunk)
                cursor.execute(
                    f"UPDATE jobs SET status = {mark}, updated_at = {mark}, lease_owner = NULL, "
                    f"lease_until = NULL WHERE {jobs_of}",
                    (JobStatus.PENDING.value, at, *job_params),
                )
        return ids

    async def purge_finished(self, before: int) -> PurgeResult:
        return await self._call(self._purge_finished, before)

    def _purge_finished(self, before: int) -> PurgeResult:
        handles: list[str] = []
        with self.db.transaction() as cursor:
            cursor.execute(
                f"DELETE FROM jobs WHERE finished_at IS NOT NULL AND finished_at < {self._mark} RETURNING uuid",
                (before,),
            )
            ids = [row[0] for row in cursor.fetchall()]
            for chunk in _chunks(ids):
                of_jobs, params = self.dialect.one_of("job_uuid", chunk)
                cursor.execute(f"DELETE FROM job_outputs WHERE {of_jobs} RETURNING handle, temporary", params)
                handles.extend(row[0] for row in cursor.fetchall() if row[1])
                cursor.execute(f"DELETE FROM job_tasks WHERE {of_jobs}", params)
                cursor.execute(f"DELETE FROM webhook_attempts WHERE {of_jobs}", params)
        return PurgeResult(jobs=len(ids), temporary_handles=handles)

    # -- leases ------------------------------------------------------------

    async def take_lease(self, job_id: str, owner: str, until: int, now: int) -> bool:
        """Lease the unfinished job to ``owner`` until ``until`` if nobody else holds a lease on it
        that runs past ``now``; whether it is ``owner``'s now. One statement: two takers never both win."""
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        counts = await self._call(
            self.db.execute,
            [
                (
                    (
                        f"UPDATE jobs SET lease_owner = {mark}, lease_until = {mark} WHERE uuid = {mark} "
                        f"AND {unfinished} AND (lease_owner IS NULL OR lease_owner = {mark} "
                        f"OR lease_until IS NULL OR lease_until < {mark})"
                    ),
                    (owner, until, job_id, *params, owner, now),
                )
            ],
        )
        return counts[0] > 0

    async def renew_lease(self, job_id: str, owner: str, until: int) -> bool:
        """Extend ``owner``'s lease to ``until``; ``False`` if it is no longer theirs (it was reclaimed)
        or the job has ended."""
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        counts = await self._call(
            self.db.execute,
            [
                (
                    (
                        f"UPDATE jobs SET lease_until = {mark} WHERE uuid = {mark} "
                        f"AND lease_owner = {mark} AND {unfinished}"
                    ),
                    (until, job_id, owner, *params),
                )
            ],
        )
        return counts[0] > 0

    async def lease_owner(self, job_id: str) -> str | None:
        """Who holds a lease on the job (expired or not), if anyone."""
        found = await self._call(
            self.db.query, f"SELECT lease_owner FROM jobs WHERE uuid = {self._mark}", (job_id,)
        )
        return found[0][0] if found else None

    async def take_lease_from(self, job_id: str, holder: str, owner: str, until: int) -> bool:
        """Take the unfinished job's lease from ``holder`` (known dead) if it still holds it."""
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        counts = await self._call(
            self.db.execute,
            [
                (
                    (
                        f"UPDATE jobs SET lease_owner = {mark}, lease_until = {mark} WHERE uuid = {mark} "
                        f"AND lease_owner = {mark} AND {unfinished}"
                    ),
                    (owner, until, job_id, holder, *params),
                )
            ],
        )
        return counts[0] > 0

    async def release_lease(self, job_id: str, owner: str) -> None:
        """Give up ``owner``'s lease (the run ended, whatever its outcome)."""
        mark = self._mark
        await self._call(
            self.db.execute,
            [
                (
                    (
                        f"UPDATE jobs SET lease_owner = NULL, lease_until = NULL WHERE uuid = {mark} "
                        f"AND lease_owner = {mark}"
                    ),
                    (job_id, owner),
                )
            ],
        )

    async def reclaim_expired_leases(self, now: int) -> list[str]:
        """Clear every lease on an unfinished job that ran out before ``now``; the ids of those jobs.
        One ``UPDATE … RETURNING``: of several sweepers, exactly one gets each job."""
        return await self._call(self._reclaim_expired_leases, now)

    def _reclaim_expired_leases(self, now: int) -> list[str]:
        unfinished, params = self.dialect.one_of("status", rows.UNFINISHED)
        mark = self._mark
        with self.db.transaction() as cursor:
            cursor.execute(
                f"UPDATE jobs SET lease_owner = NULL, lease_until = NULL, updated_at = {mark} "
                f"WHERE lease_until IS NOT NULL AND lease_until < {mark} AND {unfinished} RETURNING uuid",
                (now, now, *params),
            )
            found = cursor.fetchall()
        return [row[0] for row in found]

    # -- outputs -----------------------------------------------------------

    async def reserve_output(self, job_id: str, task_id: str, *, temporary: bool) -> TaskOutput:
        return await self._call(self._reserve_output, job_id, task_id, temporary)

    def _reserve_output(self, job_id: str, task_id: str, temporary: bool) -> TaskOutput:
        mark = self._mark
        insert = (
            f"INSERT INTO job_outputs (job_uuid, task_id, handle, temporary) VALUES ({self._marks(4)}) "
            "ON CONFLICT (job_uuid, task_id) DO NOTHING"
        )
        select = f"SELECT handle, temporary FROM job_outputs WHERE job_uuid = {mark} AND task_id = {mark}"
        found: list[tuple[Any, ...]] = []
        if self.dialect.writable_cte:  # reserve or read in one round trip
            found = self.db.query(
                f"WITH added AS ({insert} RETURNING handle, temporary) "
                f"SELECT handle, temporary FROM added UNION ALL {select}",
                (job_id, task_id, new_handle(), temporary, job_id, task_id),
            )
        else:
            self.db.execute([(insert, (job_id, task_id, new_handle(), temporary))])
        if not found:  # another worker's reservation committed after that statement's snapshot
            found = self.db.query(select, (job_id, task_id))
        handle, kept_temporary = found[0]
        return TaskOutput(
            job_uuid=UUID(job_id), task_id=task_id, handle=handle, temporary=bool(kept_temporary)
        )

    # -- webhooks ----------------------------------------------------------

    async def add_webhook_attempt(self, attempt: WebhookAttempt) -> None:
        await self._call(
            self.db.execute,
            [
                (
                    f"INSERT INTO webhook_attempts ({rows.ATTEMPT_COLUMNS}) VALUES ({self._marks(8)})",
                    rows.attempt_values(attempt),
                )
            ],
        )

    async def webhook_attempts(self, job_id: str) -> list[WebhookAttempt]:
        key = rows.valid_uuid(job_id)
        if key is None:
            return []
        found = await self._call(
            self.db.query,
            f"SELECT {rows.ATTEMPT_COLUMNS} FROM webhook_attempts WHERE job_uuid = {self._mark} ORDER BY attempt, id",
            (key,),
        )
        return [rows.attempt_from_row(row) for row in found]

    # -- lifecycle ---------------------------------------------------------

    async def close(self) -> None:
        if self._batcher is not None:
            await asyncio.to_thread(self._batcher.close)
        self._executor.shutdown(wait=True)
        self.db.close()

    # -- helpers -----------------------------------------------------------

    def _task_upsert(self, job_id: str, task_id: str, outcome: TaskOutcome) -> Statement:
        return (
            (
                f"INSERT INTO job_tasks ({rows.TASK_COLUMNS}) VALUES ({self._marks(7)}) "
                "ON CONFLICT (job_uuid, task_id) DO UPDATE SET "
                "state = excluded.state, result = excluded.result, reason = excluded.reason, "
                "started_at = excluded.started_at, finished_at = excluded.finished_at"
            ),
            rows.task_values(job_id, task_id, outcome),
        )

    def _job_deletes(self, job_ids: Sequence[str]) -> list[Statement]:
        of_jobs, params = self.dialect.one_of("job_uuid", job_ids)
        jobs, job_params = self.dialect.one_of("uuid", job_ids)
        return [
            (f"DELETE FROM {table} WHERE {of_jobs}", params)
            for table in ("job_tasks", "job_outputs", "webhook_attempts")
        ] + [(f"DELETE FROM jobs WHERE {jobs}", job_params)]

    def _load_jobs(self, where: str, params: Sequence[Any], tail: str) -> list[JobRecord]:
        """Jobs matching ``where`` with their task outcomes (one round trip where the dialect allows)."""
        if self.dialect.json_rows:
            found = self.db.query(
                f"WITH picked AS (SELECT {_JOB_COLUMNS} FROM jobs WHERE {where} {tail}) "
                "SELECT picked.*, COALESCE((SELECT json_agg(json_build_array(t.task_id, t.state, t.result, "
                f"t.reason, t.started_at, t.finished_at) ORDER BY t.{self.dialect.insertion_order}) "
                "FROM job_tasks t WHERE t.job_uuid = picked.uuid), '[]'::json) FROM picked "
                f"{tail.split(' LIMIT ')[0]}",
                params,
            )
            return [
                rows.job_from_row(
                    row,
                    {
                        task_id: rows.outcome_from_row(*values)
                        for task_id, *values in row[len(rows.JOB_COLUMNS)]
                    },
                )
                for row in found
            ]
        found = self.db.query(f"SELECT {_JOB_COLUMNS} FROM jobs WHERE {where} {tail}", params)
        outcomes: dict[str, dict[str, TaskOutcome]] = {row[0]: {} for row in found}
        for chunk in _chunks(list(outcomes)):
            of_jobs, chunk_params = self.dialect.one_of("job_uuid", chunk)
            for job_id, task_id, state, result, reason, started, finished in self.db.query(
                f"SELECT {rows.TASK_COLUMNS} FROM job_tasks WHERE {of_jobs} "
                f"ORDER BY {self.dialect.insertion_order}",
                chunk_params,
            ):
                outcomes[job_id][task_id] = rows.outcome_from_row(state, result, reason, started, finished)
        return [rows.job_from_row(row, outcomes[row[0]]) for row in found]


def open_job_store(data_dir: Path, deployment: DeploymentSettings, *, threads: int) -> SqlJobStore:
    """The job store on the deployment's PostgreSQL, or on SQLite in ``data_dir``."""
    database = open_database(data_dir, deployment, name=DB_FILENAME, purpose="workflow-store")
    return SqlJobStore(database, threads=threads)
