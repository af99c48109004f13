"""Faults: the service killed mid-job, a webhook receiver that is down, a full disk -- nothing lost.

The crash test runs the service as a real process, SIGKILLs it while jobs run and uploads
arrive, and starts it again on the same data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from hostile_corpus import jpeg
from local_service import API_KEY, uploaded_handle
from PIL import Image
from service_process import ServiceProcess, free_port
from workflow_support import (
    AUTH,
    PROFILE_ID,
    REST,
    nap,
    nap_contract,
    nap_task,
    photo_like,
    running_workflows,
)

from dashboard.local_filestack.config.workflows import WorkflowSettings

FINAL_THEN_DELETE = {
    "name": "final, then delete the original",
    "tasks": [
        {
            "id": "final",
            "action": "process",
            "params": {"tasks": 'blur=amount:2/resize=width:600/store=location:s3,path:"final/"'},
        },
        {"id": "delete", "action": "delete", "requires": [{"task": "final"}]},
    ],
}


# -- storage invariants, read straight from the data directory ---------------------------


def metadata_rows(data_dir: Path) -> dict[str, tuple[str, str, int, str]]:
    """handle -> (key, sha256, size, blob name) of every file the service lists."""
    with contextlib.closing(sqlite3.connect(data_dir / "metadata.sqlite3")) as conn:
        rows = conn.execute("SELECT handle, key, sha256, size, blob FROM files").fetchall()
    return {handle: (key, sha, size, blob) for handle, key, sha, size, blob in rows}


def job_rows(data_dir: Path) -> list[dict[str, Any]]:
    """Every job with its source handle, status, text and reserved outputs."""
    with contextlib.closing(sqlite3.connect(data_dir / "workflows.db")) as conn:
        jobs = conn.execute("SELECT uuid, source_handle, status, status_text FROM jobs").fetchall()
        outputs = conn.execute("SELECT job_uuid, task_id, handle FROM job_outputs").fetchall()
        tasks = conn.execute("SELECT job_uuid, task_id, state, reason FROM job_tasks").fetchall()
    return [
        {
            "uuid": uuid,
            "source": source,
            "status": status,
            "text": text,
            "outputs": {task: handle for job, task, handle in outputs if job == uuid},
            "tasks": {task: (state, reason) for job, task, state, reason in tasks if job == uuid},
        }
        for uuid, source, status, text in jobs
    ]


def storage_problems(data_dir: Path) -> list[str]:
    """Listed files whose bytes are missing or differ from their recorded hash."""
    problems = []
    for handle, (_key, sha, size, name) in metadata_rows(data_dir).items():
        blob = data_dir / "files" / name
        if not blob.exists():
            problems.append(f"{handle} is listed but has no bytes")
            continue
        data = blob.read_bytes()
        if len(data) != size or hashlib.sha256(data).hexdigest() != sha:
            problems.append(f"{handle} is listed but its bytes are incomplete or different")
    return problems


def originals_deleted_too_early(data_dir: Path, workflow_id: str) -> list[str]:
    """Jobs of ``workflow_id`` whose original is gone while their final file is not stored whole."""
    listed = metadata_rows(data_dir)
    with contextlib.closing(sqlite3.connect(data_dir / "workflows.db")) as conn:
        ids = {row[0] for row in conn.execute("SELECT uuid FROM jobs WHERE workflow_id = ?", (workflow_id,))}
    problems = []
    for job in job_rows(data_dir):
        if job["uuid"] not in ids or job["source"] in listed:
            continue
        final = job["outputs"].get("final")
        if final is None or final not in listed or not (data_dir / "files" / listed[final][3]).exists():
            problems.append(f"job {job['uuid']}: original {job['source']} deleted, final file not stored")
    return problems


# -- SIGKILL while jobs run and uploads arrive -------------------------------------------


class Uploader(threading.Thread):
    """Uploads small photos in a loop and remembers the ones the service acknowledged."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(name="uploads-during-crash", daemon=True)
        self.url = url
        self.key = key
        self.acknowledged: dict[str, str] = {}
        self.refused = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            number = 0
            while not self.stopping.is_set():
                number += 1
                body = jpeg(160 + number % 50, 120)
                try:
                    answer = client.post("/www/api/store/S3", params={"key": self.key}, content=body)
                except httpx.HTTPError:
                    self.refused += 1
                    time.sleep(0.05)
                    continue
                if answer.status_code == 200:
                    self.acknowledged[answer.json()["handle"]] = hashlib.sha256(body).hexdigest()


def _wait_for(predicate: Any, timeout_s: float, what: str) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def test_sigkill_mid_jobs_then_restart_loses_nothing(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    service = ServiceProcess(data_dir, args=("--task-timeout-s", "30", "--job-timeout-s", "60"))
    service.start()
    try:
        creds = service.credentials
        auth = (creds["api_key"], creds["app_secret"])
        photo = photo_like(3000, 2000)
        with httpx.Client(base_url=service.url, timeout=30) as client:
            workflow = client.post(f"{REST}/workflows", json=FINAL_THEN_DELETE, auth=auth)
            assert workflow.status_code == 201, workflow.text
            workflow_id = workflow.json()["id"]
            originals = [
                client.post("/www/api/store/S3", params={"key": creds["api_key"]}, content=photo).json()[
                    "handle"
                ]
                for _ in range(14)
            ]
            jobs = {}
            for number, handle in enumerate(originals):
                chosen = PROFILE_ID if number % 4 == 3 else workflow_id
                started = client.post(f"{REST}/jobs", json={"workflow": chosen, "handle": handle}, auth=auth)
                assert started.status_code == 201, started.text
                jobs[started.json()["uuid"]] = (chosen, handle)
            uploader = Uploader(service.url, creds["api_key"])
            uploader.start()

            def some_done_some_not() -> bool:
                listed = client.get(f"{REST}/jobs", params={"limit": 50}, auth=auth).json()
                states = [job["status"]["type"] for job in listed if job["uuid"] in jobs]
                return "done" in states and any(state in ("pending", "running") for state in states)

            _wait_for(some_done_some_not, 60, "some jobs done while others still run")
        service.kill()
        uploader.stopping.set()
        uploader.join(timeout=20)

        # The state the crash left: nothing listed is incomplete, no original went before its final file.
        assert storage_problems(data_dir) == []
        assert originals_deleted_too_early(data_dir, workflow_id) == []
        unfinished = [job for job in job_rows(data_dir) if job["status"] in ("pending", "running")]
        assert unfinished, "the kill came after every job had finished; the test proved nothing"

        service.start()
        with httpx.Client(base_url=service.url, timeout=30) as client:

            def all_finished() -> list[dict[str, Any]] | None:
                states = [client.get(f"{REST}/jobs/{job_id}", auth=auth).json() for job_id in jobs]
                return states if all(s["status"]["type"] in ("done", "failed") for s in states) else None

            finals = _wait_for(all_finished, 120, "every job to end after the restart")
            for state in finals:
                chosen, original = jobs[state["uuid"]]
                assert state["status"]["type"] == "done", (state["uuid"], state["status"])
                task = "final" if chosen == workflow_id else "avatar"
                result = state["results"][task]["data"]
                served = client.get(f"/cdn/{result['handle']}")
                assert served.status_code == 200
                with Image.open(io.BytesIO(served.content)) as image:
                    assert image.size == ((600, 400) if chosen == workflow_id else (400, 400))
                if chosen == workflow_id:
                    assert client.get(f"/cdn/{original}").status_code == 404
            for handle, digest in uploader.acknowledged.items():
                served = client.get(f"/cdn/{handle}")
                assert served.status_code == 200, f"acknowledged upload {handle} lost in the crash"
                assert hashlib.sha256(served.content).hexdigest() == digest
            assert client.get("/health").json() == {"ok": True}
        service.stop()
        assert storage_problems(data_dir) == []
        assert originals_deleted_too_early(data_dir, workflow_id) == []
        finals_stored = [
            key for key, _sha, _size, _blob in metadata_rows(data_dir).values() if key.startswith("final/")
        ]
        assert len(finals_stored) == sum(1 for chosen, _ in jobs.values() if chosen == workflow_id), (
            "a task run again after the restart stored its output twice"
        )
        assert uploader.acknowledged, "no upload was acknowledged while the jobs ran"
    finally:
        service.stop()


# -- a webhook receiver that is down -------------------------------------------------------


class LateReceiver:
    """A webhook endpoint that only starts listening when told to."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.bodies: list[bytes] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        bodies = self.bodies

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                bodies.append(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


async def test_a_webhook_receiver_that_is_down_gets_retries_until_it_is_back(tmp_path: Path) -> None:
    port = free_port()
    receiver = LateReceiver(port)
    settings = WorkflowSettings(
        process_workers=1,
        webhook_attempts=8,
        webhook_base_delay_s=0.2,
        webhook_max_delay_s=0.4,
        webhook_timeout_s=2,
    )
    try:
        async with running_workflows(tmp_path, settings, allow_private_fetch=True) as running:
            client = running.client
            created = await client.post(
                f"{REST}/workflows",
                auth=AUTH,
                json={
                    "name": "hooked",
                    "webhook": f"http://127.0.0.1:{port}/hook",
                    "tasks": [{"id": "small", "action": "process", "params": {"tasks": "resize=width:20"}}],
                },
            )
            handle = await uploaded_handle(client, jpeg(80, 60))
            job = await client.post(
                f"{REST}/jobs", auth=AUTH, json={"workflow": created.json()["id"], "handle": handle}
            )
            job_id = job.json()["uuid"]
            async with asyncio.timeout(30):
                while len(await running.workflows.webhook_attempts(job_id)) < 2:
                    await asyncio.sleep(0.05)
            receiver.start()
            await running.workflows.webhooks.wait_idle()
            attempts = await running.workflows.webhook_attempts(job_id)
    finally:
        receiver.stop()
    assert [a.delivered for a in attempts][-1] is True
    assert all(not a.delivered and a.error for a in attempts[:-1])
    assert len(attempts) >= 3
    assert len(receiver.bodies) == 1
    assert json.loads(receiver.bodies[0])["uuid"] == job_id  # a REST job posts the beta API's body


async def test_webhook_deliveries_cut_short_by_a_restart_are_resumed(tmp_path: Path) -> None:
    port = free_port()
    receiver = LateReceiver(port)
    settings = WorkflowSettings(
        process_workers=1,
        webhook_attempts=6,
        webhook_base_delay_s=0.3,
        webhook_max_delay_s=0.6,
        webhook_timeout_s=1,
    )
    try:
        async with running_workflows(tmp_path, settings, allow_private_fetch=True) as running:
            created = await running.client.post(
                f"{REST}/workflows",
                auth=AUTH,
                json={
                    "name": "hooked",
                    "webhook": f"http://127.0.0.1:{port}/hook",
                    "tasks": [{"id": "small", "action": "process", "params": {"tasks": "resize=width:20"}}],
                },
            )
            handle = await uploaded_handle(running.client, jpeg(80, 60))
            job = await running.workflows.start_job(created.json()["id"], handle)
            async with asyncio.timeout(30):
                while not await running.workflows.webhook_attempts(job.id):
                    await asyncio.sleep(0.05)
        # The service stopped between two attempts; the receiver comes back; the service starts again.
        receiver.start()
        async with running_workflows(tmp_path, settings, allow_private_fetch=True) as running:
            async with asyncio.timeout(30):
                while not receiver.bodies:
                    await asyncio.sleep(0.05)
            await running.workflows.webhooks.wait_idle()
            attempts = await running.workflows.webhook_attempts(job.id)
    finally:
        receiver.stop()
    assert [attempt.attempt for attempt in attempts] == list(range(1, len(attempts) + 1))
    assert attempts[-1].delivered and not any(attempt.delivered for attempt in attempts[:-1])
    assert len(receiver.bodies) == 1
    assert json.loads(receiver.bodies[0])["text"]["jobid"] == job.id


# -- a job that runs past its time ----------------------------------------------------------


async def test_a_job_over_its_time_limit_fails_and_stops_its_running_tasks(tmp_path: Path) -> None:
    settings = WorkflowSettings(process_workers=1, task_timeout_s=600, job_timeout_s=0.8)
    with nap_contract():
        async with running_workflows(tmp_path, settings) as running:
            running.workflows.register_function("nap", nap)
            handle = await uploaded_handle(running.client, jpeg(40, 30))
            workflow = await running.workflows.create_workflow(
                {
                    "name": "slow",
                    "tasks": [
                        nap_task("first", 0.5),
                        nap_task("second", 300.0, requires=("first",)),
                        nap_task("third", 0.1, requires=("second",)),
                    ],
                }
            )
            job = await running.workflows.start_job(str(workflow.id), handle)
            # Far less than the second task's nap: the job ends without waiting for it.
            done = await running.workflows.wait_for_job(job.id, timeout_s=120)
            status = (await running.client.get(f"/cdn/{API_KEY}/workflow_status=job_id:{job.id}")).json()
    assert done.status.value == "failed"
    assert done.status_text == "job timed out after 0.8 s"
    assert status["status"] == "Failed" and status["error"] == "job timed out after 0.8 s"
    assert status["tasks"]["first"]["state"] == "done"
    second = status["tasks"]["second"]
    assert (second["state"], second["reason"]) == ("failed", "stopped: job timed out after 0.8 s")
    assert second["startedAt"] <= second["finishedAt"]
    assert status["tasks"]["third"]["state"] == "pending"


# -- a full disk --------------------------------------------------------------------------


@contextlib.contextmanager
def disk_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every fsync fails with ENOSPC, as a full disk reports it for delayed writes."""
    real_fsync = os.fsync

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    try:
        yield
    finally:
        monkeypatch.setattr(os, "fsync", real_fsync)


async def test_a_full_disk_gives_a_clear_error_and_keeps_existing_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "fs"
    async with running_workflows(data_dir) as running:
        client = running.client
        kept = {await uploaded_handle(client, jpeg(100 + n, 80)): n for n in range(3)}
        created = await client.post(f"{REST}/workflows", json=FINAL_THEN_DELETE, auth=AUTH)
        original = await uploaded_handle(client, jpeg(900, 600))
        with disk_full(monkeypatch):
            refused = await client.post("/www/api/store/S3", params={"key": API_KEY}, content=jpeg(50, 50))
            assert refused.status_code == 507, refused.text
            assert "no space left" in refused.json()["error"]
            stored_task = await client.post(f"/cdn/resize=width:10/store/{original}")
            assert stored_task.status_code == 507, stored_task.text
            overwrite = await client.post(
                f"/www/api/file/{original}",
                content=jpeg(10, 10),
                auth=("app", running.service.credentials.app_secret),
            )
            assert overwrite.status_code == 507, overwrite.text
            job = await running.workflows.start_job(created.json()["id"], original)
            failed = await running.workflows.wait_for_job(job.id, timeout_s=30)
            assert failed.status.value == "failed"
            assert "no space left" in failed.status_text and "internal error" not in failed.status_text
            for handle in kept:
                assert (await client.get(f"/cdn/{handle}")).status_code == 200
            assert (await client.get(f"/cdn/{original}")).status_code == 200, (
                "the original went with the disk full"
            )
        assert [p.name for p in (data_dir / "files").iterdir() if p.name.startswith(".tmp-")] == []
        assert storage_problems(data_dir) == []
        again = await running.workflows.start_job(created.json()["id"], original)
        done = await running.workflows.wait_for_job(again.id, timeout_s=30)
        assert done.status.value == "done", done.status_text
        assert (await client.get(f"/cdn/{original}")).status_code == 404


class _FullDatabase:
    """A connection whose inserts of file records fail as SQLite fails on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> sqlite3.Cursor:
        if sql.lstrip().upper().startswith("INSERT INTO FILES"):
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)


async def test_a_full_metadata_database_leaves_no_file_without_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "fs"
    async with running_workflows(data_dir) as running:
        client = running.client
        kept = await uploaded_handle(client, jpeg(60, 40))
        database = running.service.storage.index.db
        real_connect = type(database)._connect
        monkeypatch.setattr(type(database), "_connect", lambda self: _FullDatabase(real_connect(self)))
        refused = await client.post("/www/api/store/S3", params={"key": API_KEY}, content=jpeg(50, 50))
        monkeypatch.setattr(type(database), "_connect", real_connect)
        assert refused.status_code == 507, refused.text
        assert "no space left" in refused.json()["error"]
        assert [p.name.split(".")[0] for p in (data_dir / "files").iterdir()] == [kept]
        assert (await client.get(f"/cdn/{kept}")).status_code == 200


@dataclass(frozen=True)
class SmallDisk:
    """A 3 MiB tmpfs: mounted here (root), or in a mount namespace of the service's own (no root)."""

    path: Path
    #: What the service's command runs under so that it sees the small disk at ``path``.
    prefix: tuple[str, ...] = ()


def _mount_tmpfs(*command: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(command), capture_output=True, check=False, timeout=60)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[SmallDisk]:
    """A really small filesystem, so that writes fail with ENOSPC as on a full disk.

    Root mounts a tmpfs directly. Anyone else gets one in a user and mount namespace
    (``unshare --map-root-user --mount``, allowed on most Linux systems), entered by the
    service process; this process reads the files through ``/proc/<pid>/root``.
    """
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    tmpfs = ("mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs")
    if os.geteuid() == 0 and shutil.which("mount") and _mount_tmpfs(*tmpfs, str(mount_point)).returncode == 0:
        try:
            yield SmallDisk(mount_point)
        finally:
            subprocess.run(["umount", "-l", str(mount_point)], check=False)
        return
    if shutil.which("unshare") is None:
        pytest.skip("no way to mount a small filesystem here: not root and no unshare command")
    enter = ("unshare", "--user", "--map-root-user", "--mount", "--propagation", "private")
    probe = _mount_tmpfs(*enter, *tmpfs, str(mount_point))
    if probe.returncode != 0:
        pytest.skip(
            "no way to mount a small filesystem here: not root, and no user namespaces "
            f"({probe.stderr.decode(errors='replace').strip()})"
        )
    mount_then_exec = f'{" ".join(tmpfs)} "$0" && exec "$@"'
    yield SmallDisk(mount_point, (*enter, "sh", "-c", mount_then_exec, str(mount_point)))


def test_a_really_full_disk_refuses_new_files_and_keeps_the_old_ones(
    small_disk: SmallDisk, tmp_path: Path
) -> None:
    data_dir = small_disk.path / "data"
    service = ServiceProcess(data_dir, prefix=small_disk.prefix, log=tmp_path / "service.log")
    service.start()
    try:
        key = service.credentials["api_key"]
        kept: dict[str, bytes] = {}
        answer: httpx.Response | None = None
        with httpx.Client(base_url=service.url, timeout=120) as client:
            for _ in range(40):
                body = os.urandom(200_000)
                answer = client.post("/www/api/store/S3", params={"key": key}, content=body)
                if answer.status_code != 200:
                    break
                kept[answer.json()["handle"]] = body
            assert answer is not None and answer.status_code == 507, (answer.status_code, answer.text)
            assert "no space left" in answer.json()["error"]
            assert kept, "the disk was full before the first file"
            for handle, body in kept.items():
                served = client.get(f"/cdn/{handle}")
                assert served.status_code == 200 and served.content == body
            assert client.get("/health").json() == {"ok": True}
            freed = next(iter(kept))
            assert (
                client.delete(
                    f"/www/api/file/{freed}", auth=("app", service.credentials["app_secret"])
                ).status_code
                == 200
            )
            del kept[freed]
            again = client.post("/www/api/store/S3", params={"key": key}, content=os.urandom(100_000))
            assert again.status_code == 200, again.text
        # A copy, read while the service is idle: SQLite would resolve /proc/<pid>/root away.
        copy = tmp_path / "data-copy"
        shutil.copytree(service.seen_from_here(data_dir), copy, ignore=shutil.ignore_patterns("*-shm"))
    finally:
        service.stop()
    assert storage_problems(copy) == []
