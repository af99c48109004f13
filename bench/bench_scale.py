"""Scale-out measurements: jobs per minute on Celery queue workers, broker and database cost per job.

    .venv/bin/python bench/bench_scale.py [--jobs 80] [--size 2000x1500] [--workers 1,2] [--json out.json]

For each worker count: a fresh PostgreSQL database and Redis database, that many Celery
queue workers (prefork, one process each, as ``make cluster`` starts them), the
embedded service in this process as the producer (the app workers' part: store the
upload, start the job), then ``--jobs`` jobs of the shipped profile workflow
(rotate, strip metadata, 400x400 face-aligned crop, store) on distinct photos, timed
from the first submission to the last job done. Warm-up jobs run first.

Costs per job are read from the servers themselves: Redis ``INFO commandstats`` and
network bytes (minus the idle polling of the workers over the same time), PostgreSQL
``pg_stat_database`` transactions and rows, and the producer's own statement and
round-trip counts. A workflow_status poll of a following page is measured apart.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Self

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dashboard.local_filestack.app import build_service
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.config.settings import ServiceSettings
from dashboard.local_filestack.storage.files import NewFile
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_WORKFLOW

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_BASE = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379")


def photo(number: int, width: int, height: int) -> bytes:
    """A distinct photo-like JPEG."""
    image = Image.new("RGB", (width, height), ((number * 53) % 256, 110, (number * 29) % 256))
    draw = ImageDraw.Draw(image)
    for step in range(0, width, max(1, width // 24)):
        draw.line([(step, 0), (width - step, height)], fill=((step + number) % 256, 80, 160), width=7)
    draw.ellipse([width // 3, height // 4, 2 * width // 3, 3 * height // 4], fill=(235, 200, 180))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=88)
    return out.getvalue()


def redis_counters(url: str) -> dict[str, float]:
    """Total commands and network bytes of the Redis server."""
    import redis

    client = redis.Redis.from_url(url)
    stats = client.info("stats")
    counters = {
        "commands": float(stats["total_commands_processed"]),
        "bytes_in": float(stats["total_net_input_bytes"]),
        "bytes_out": float(stats["total_net_output_bytes"]),
    }
    for name, values in client.info("commandstats").items():
        counters[name.removeprefix("cmdstat_")] = float(values["calls"])
    return counters


def pg_counters(database: str) -> dict[str, float]:
    """Transactions and rows of one database (pg_stat_database, flushed first)."""
    import psycopg

    with psycopg.connect(f"{PG_BASE}/{database}", autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        time.sleep(1.2)  # other backends flush their counters at least once a second
        row = conn.execute(
            "SELECT xact_commit + xact_rollback, tup_returned + tup_fetched, tup_inserted, tup_updated, "
            "tup_deleted FROM pg_stat_database WHERE datname = %s",
            (database,),
        ).fetchone()
    assert row is not None
    keys = ("transactions", "rows_read", "rows_inserted", "rows_updated", "rows_deleted")
    return {key: float(value) for key, value in zip(keys, row, strict=True)}


def delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {key: after[key] - before.get(key, 0.0) for key in after}


class Run:
    """One measured configuration: a database, a Redis database and N queue workers."""

    def __init__(self, workers: int, work: Path) -> None:
        self.workers = workers
        self.database = f"bench_{uuid.uuid4().hex[:10]}"
        self.redis_url = f"{REDIS_BASE}/{11 + workers}"
        self.data_dir = work / f"data-{workers}"
        self.processes: list[subprocess.Popen[bytes]] = []

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"{PG_BASE}/{self.database}",
            "REDIS_URL": self.redis_url,
            "WORKFLOW_WORKERS": "celery",
            "DATA_DIR": str(self.data_dir),
            "PYTHONUNBUFFERED": "1",
        }

    def __enter__(self) -> Self:
        import psycopg
        import redis

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')
        redis.Redis.from_url(self.redis_url).flushdb()
        return self

    def start_workers(self) -> None:
        for number in range(self.workers):
            log = open(self.data_dir / f"queue-{number + 1}.log", "wb")  # noqa: SIM115 -- closed with the process
            self.processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "dashboard.local_filestack.workflows.celery.worker",
                        "--concurrency",
                        "1",
                        "--name",
                        f"bench{number + 1}@%h",
                        "--loglevel",
                        "WARNING",
                    ],
                    cwd=ROOT,
                    env=self.env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )

    def __exit__(self, *_exc: object) -> None:
        import psycopg

        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


async def measure(run: Run, jobs: int, size: tuple[int, int], warmup: int) -> dict[str, Any]:
    """Jobs per minute and per-job costs for one worker count."""
    deployment = DeploymentSettings(
        database_url=f"{PG_BASE}/{run.database}", redis_url=run.redis_url, workflow_workers="celery"
    )
    run.data_dir.mkdir(parents=True, exist_ok=True)
    service = build_service(
        ServiceSettings(
            data_dir=run.data_dir,
            api_key="BENCHKEY",
            app_secret="bench-secret",
            public_url="http://127.0.0.1:3000",
            deployment=deployment,
        )
    )
    workflows = service.workflows
    await service.startup()
    run.start_workers()
    try:
        photos = [
            await asyncio.to_thread(
                service.storage.put,
                NewFile(
                    data=photo(n, *size),
                    filename=f"p{n}.jpg",
                    mimetype="image/jpeg",
                    width=size[0],
                    height=size[1],
                ),
            )
            for n in range(jobs + warmup)
        ]

        import psycopg

        watcher = await asyncio.to_thread(psycopg.connect, f"{PG_BASE}/{run.database}", autocommit=True)
        polls = 0

        async def run_batch(handles: list[str]) -> float:
            """Submit every job, then wait with one count query every 0.1 s (counted, then subtracted)."""
            nonlocal polls
            started = time.perf_counter()
            ids = [(await workflows.start_job(PROFILE_WORKFLOW, handle)).id for handle in handles]
            while True:
                polls += 1
                row = await asyncio.to_thread(
                    lambda: watcher.execute(
                        "SELECT count(*) FILTER (WHERE status = 'done'), count(*) FILTER (WHERE status = 'failed') "
                        "FROM jobs WHERE uuid = ANY(%s)",
                        (ids,),
                    ).fetchone()
                )
                done, failed = row if row else (0, 0)
                assert not failed, "a job failed"
                if done == len(ids):
                    return time.perf_counter() - started
                await asyncio.sleep(0.1)

        await run_batch([p.handle for p in photos[:warmup]])
        # Idle cost of the workers (broker polling), to subtract from the measured window.
        idle_before = redis_counters(run.redis_url)
        await asyncio.sleep(5)
        idle = delta(redis_counters(run.redis_url), idle_before)
        idle_rate = {key: value / 5 for key, value in idle.items()}

        store_db = workflows.store.db  # type: ignore[attr-defined]
        index_db = service.storage.index.db  # type: ignore[attr-defined]
        producer_before = (
            store_db.statements + index_db.statements,
            store_db.round_trips + index_db.round_trips,
        )
        redis_before, pg_before = redis_counters(run.redis_url), pg_counters(run.database)
        polls = 0
        elapsed = await run_batch([p.handle for p in photos[warmup:]])
        redis_used = delta(redis_counters(run.redis_url), redis_before)
        pg_used = delta(pg_counters(run.database), pg_before)
        pg_used["transactions"] -= polls + 2  # the bench's own count queries and counter reads
        watcher.close()
        producer = (
            store_db.statements + index_db.statements - producer_before[0],
            store_db.round_trips + index_db.round_trips - producer_before[1],
        )
        window = elapsed + 1.2  # pg_counters sleeps before reading
        broker = {key: (redis_used[key] - idle_rate.get(key, 0.0) * window) / jobs for key in redis_used}

        # One status poll of a following page: its statements, measured alone.
        last = (await workflows.list_recent_jobs(limit=1))[0].id
        polls_before = store_db.round_trips
        for _ in range(20):
            await workflows.job_status(last)
        poll_round_trips = (store_db.round_trips - polls_before) / 20
    finally:
        await service.shutdown()
    return {
        "queue_workers": run.workers,
        "jobs": jobs,
        "photo": f"{size[0]}x{size[1]} JPEG ({len(photo(0, *size)) // 1024} KiB)",
        "seconds": round(elapsed, 2),
        "jobs_per_minute": round(jobs / elapsed * 60, 1),
        "redis_per_job": {key: round(value, 2) for key, value in broker.items() if abs(value) >= 0.05},
        "redis_idle_per_worker_per_s": {
            key: round(value / run.workers, 1) for key, value in idle_rate.items()
        },
        "postgres_per_job": {key: round(value / jobs, 1) for key, value in pg_used.items()},
        "producer_per_job": {
            "statements": round(producer[0] / jobs, 1),
            "round_trips": round(producer[1] / jobs, 1),
        },
        "status_poll_round_trips": round(poll_round_trips, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=80)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--size", default="2000x1500")
    parser.add_argument("--workers", default="1,2")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "start"], check=True)
    width, height = (int(part) for part in args.size.split("x"))
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-scale-") as work:
        for workers in (int(part) for part in args.workers.split(",")):
            with Run(workers, Path(work)) as run:
                result = asyncio.run(measure(run, args.jobs, (width, height), args.warmup))
            results.append(result)
            print(json.dumps(result), flush=True)
    print(f"\ncores: {os.cpu_count()}")
    print(
        "| queue workers | jobs | seconds | jobs/min | Redis cmds/job | Redis bytes in+out/job "
        "| PG transactions/job | PG rows written/job |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        rb, pg = r["redis_per_job"], r["postgres_per_job"]
        print(
            f"| {r['queue_workers']} | {r['jobs']} | {r['seconds']} | {r['jobs_per_minute']} | {rb['commands']} "
            f"| {rb['bytes_in'] + rb['bytes_out']:.0f} | {pg['transactions']} "
            f"| {pg['rows_inserted'] + pg['rows_updated'] + pg['rows_deleted']:.1f} |"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
