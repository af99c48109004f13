"""The dashboard on its distributed parts: two app workers, two Celery queue workers, Redis, PostgreSQL.

Every test talks to the one port of the cluster, as browsers and clients do.
"""

from __future__ import annotations

import io
import os
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from PIL import Image

from dashboard.filestack_protocol.security import scoped_security
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID

from .conftest import Cluster, client, wait_until

pytestmark = pytest.mark.distributed

PROFILE_WORKFLOW = PROFILE_PICTURE_ID
UPLOADS = 100


def small_photo(number: int) -> bytes:
    """A distinct small JPEG."""
    image = Image.new("RGB", (96, 72), ((number * 37) % 256, (number * 91) % 256, 120))
    image.putpixel((number % 96, number % 72), (255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def noisy_photo(size: int) -> bytes:
    """A large JPEG that takes a while to process."""
    out = io.BytesIO()
    Image.effect_noise((size, size), 60).convert("RGB").save(out, "JPEG", quality=90)
    return out.getvalue()


def _policy(cluster: Cluster, calls: list[str], handle: str | None = None) -> str:
    """A ``security=p:..,s:..`` task for ``calls``: the app signs every call (security is required)."""
    security = scoped_security(cluster.app_secret, calls=calls, handle=handle)
    return f"security=p:{security.policy},s:{security.signature}"


def upload(http: httpx.Client, cluster: Cluster, data: bytes) -> str:
    security = scoped_security(cluster.app_secret, calls=["store"])
    answer = http.post(
        "/www/api/store/S3",
        params={"key": cluster.api_key, **security.as_query()},
        content=data,
        headers={"Content-Type": "image/jpeg"},
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["handle"])


def run_workflow(http: httpx.Client, cluster: Cluster, workflow: str, handle: str) -> str:
    policy = _policy(cluster, ["runWorkflow", "convert", "read"], handle)
    answer = http.get(f"/cdn/{cluster.api_key}/{policy}/run_workflow=id:{workflow}/{handle}")
    assert answer.status_code == 200, answer.text
    return str(answer.json()["jobid"])


def wait_for_job(http: httpx.Client, cluster: Cluster, jobid: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        policy = _policy(cluster, ["runWorkflow", "convert", "read"])
        status = http.get(f"/cdn/{cluster.api_key}/{policy}/workflow_status=job_id:{jobid}").json()
        if status.get("status") in ("Finished", "Failed"):
            return dict(status)
        time.sleep(0.2)
    pytest.fail(f"job {jobid} did not end within {timeout_s:.0f} s")


def delete(http: httpx.Client, cluster: Cluster, handle: str) -> int:
    security = scoped_security(cluster.app_secret, calls=["remove"], handle=handle)
    return http.delete(
        f"/www/api/file/{handle}", params={"key": cluster.api_key, **security.as_query()}
    ).status_code


def photo_flow(cluster: Cluster, number: int) -> tuple[str, str, str, list[int]]:
    """Upload, run the profile workflow, wait, then finish from two followers at once (two app workers)."""
    with client(cluster) as http:
        original = upload(http, cluster, small_photo(number))
        jobid = run_workflow(http, cluster, PROFILE_WORKFLOW, original)
        status = wait_for_job(http, cluster, jobid, 120)
        assert status["status"] == "Finished", status
        final = status["results"]["avatar"]["data"]["handle"]
        assert final != original
        assert http.get(f"/cdn/{_policy(cluster, ['read'], final)}/{final}").status_code == 200
        with ThreadPoolExecutor(2) as pool:
            deletes = list(pool.map(lambda _n: delete(http, cluster, original), range(2)))
    return jobid, original, final, deletes


def test_a_hundred_uploads_over_two_app_and_two_queue_workers_each_end_once(cluster: Cluster) -> None:
    import psutil

    workers = {pid: psutil.Process(pid) for pid in cluster.app_worker_pids()}
    cpu_before = {pid: sum(process.cpu_times()[:2]) for pid, process in workers.items()}
    started = time.monotonic()
    with ThreadPoolExecutor(12) as pool:
        flows = list(pool.map(lambda n: photo_flow(cluster, n), range(UPLOADS)))
    elapsed = time.monotonic() - started
    jobids = [flow[0] for flow in flows]
    originals = {flow[1] for flow in flows}
    finals = {flow[2] for flow in flows}
    assert len(originals) == len(finals) == UPLOADS
    # Every original deleted exactly once: of the two concurrent deletes, one found it.
    assert all(sorted(flow[3]) == [200, 404] for flow in flows), [flow[3] for flow in flows]
    # Exactly one final file per job, stored once; no original left.
    outputs = cluster.sql(
        "SELECT job_uuid, count(*) FROM job_outputs WHERE job_uuid = ANY(%s) GROUP BY job_uuid", (jobids,)
    )
    assert len(outputs) == UPLOADS and all(count == 1 for _job, count in outputs)
    stored = {row[0] for row in cluster.sql("SELECT handle FROM files")}
    assert finals <= stored and not originals & stored
    ended = cluster.sql("SELECT status, count(*) FROM jobs WHERE uuid = ANY(%s) GROUP BY status", (jobids,))
    assert ended == [("done", UPLOADS)]
    # The work was spread: both queue workers ran jobs, both app workers stored files.
    ran = [
        len(re.findall(r"run_job\[[^\]]+\] succeeded", cluster.log_tail(f"queue-{n}", 100_000)))
        for n in (1, 2)
    ]
    assert all(count > 0 for count in ran) and sum(ran) >= UPLOADS, ran
    busy = {pid: sum(process.cpu_times()[:2]) - cpu_before[pid] for pid, process in workers.items()}
    assert len(busy) == 2 and all(seconds > 0.5 for seconds in busy.values()), busy
    print(
        f"\n{UPLOADS} uploads through 2 app workers and 2 queue workers: {elapsed:.1f} s, "
        f"queue workers ran {ran}, app workers busy {[round(s, 1) for s in busy.values()]} s"
    )


SLOW_WORKFLOW = {
    "name": "Slow three-step",
    "tasks": [
        {"id": "one", "action": "process", "params": {"tasks": "blur=amount:20/store=location:s3"}},
        {
            "id": "two",
            "action": "process",
            "params": {"tasks": "sharpen=amount:20/store=location:s3"},
            "requires": [{"task": "one"}],
        },
        {
            "id": "three",
            "action": "process",
            "params": {"tasks": "blur=amount:12/store=location:s3"},
            "requires": [{"task": "two"}],
        },
    ],
}


def _received(cluster: Cluster, number: int) -> int:
    return len(re.findall(r"run_job\[[^\]]+\] received", cluster.log_tail(f"queue-{number}", 100_000)))


def test_a_queue_worker_killed_mid_job_is_replaced_within_30_s_and_the_job_finishes_once(
    cluster: Cluster,
) -> None:
    """The whole worker (its process group) is SIGKILLed, as a lost machine would be. The broker's
    visibility timeout is 600 s, so only the expired lease can hand the job on this soon."""
    with client(cluster) as http:
        created = http.post(
            "/workflows-beta/workflows", json=SLOW_WORKFLOW, auth=(cluster.api_key, cluster.app_secret)
        )
        assert created.status_code in (200, 201), created.text
        workflow = created.json()["id"]
        before = {n: _received(cluster, n) for n in (1, 2)}
        jobid = run_workflow(http, cluster, workflow, upload(http, cluster, noisy_photo(2600)))
        wait_until(
            lambda: any(_received(cluster, n) > before[n] for n in (1, 2)),
            30,
            message="a worker took the job",
        )
        victim = next(n for n in (1, 2) if _received(cluster, n) > before[n])
        # Kill it while a task is running: after the first task is done, during the second.
        wait_until(
            lambda: (
                cluster.sql("SELECT state FROM job_tasks WHERE job_uuid = %s AND task_id = 'two'", (jobid,))
                == [("running",)]
            ),
            60,
            0.05,
            "the second task running",
        )
        survivor = 3 - victim
        taken_before = _received(cluster, survivor)
        os.killpg(cluster.queue_pids[victim - 1], signal.SIGKILL)
        killed = time.monotonic()
        wait_until(
            lambda: _received(cluster, survivor) > taken_before,
            30,
            message="the job handed to the surviving worker",
        )
        print(f"job taken over {time.monotonic() - killed:.1f} s after the kill")
        status = wait_for_job(http, cluster, jobid, 120)
    assert status["status"] == "Finished", status
    runs, finished = cluster.sql("SELECT runs, finished_at FROM jobs WHERE uuid = %s", (jobid,))[0]
    assert runs >= 2 and finished is not None
    outputs = cluster.sql(
        "SELECT task_id, handle FROM job_outputs WHERE job_uuid = %s ORDER BY task_id", (jobid,)
    )
    assert [task for task, _handle in outputs] == ["one", "three", "two"]
    stored = {row[0] for row in cluster.sql("SELECT handle FROM files")}
    assert {handle for _task, handle in outputs} <= stored
    assert status["results"]["one"]["data"]["handle"] == dict(outputs)["one"]  # the first task was not redone


HEAVY_WORKFLOW = {
    "name": "Heavy one-step",
    "tasks": [
        {
            "id": "heavy",
            "action": "process",
            "params": {
                "tasks": "blur=amount:20/sharpen=amount:20/blur=amount:20/sharpen=amount:20/blur=amount:20/"
                "store=location:s3"
            },
        },
        {
            "id": "after",
            "action": "process",
            "params": {"tasks": "flip/store=location:s3"},
            "requires": [{"task": "heavy"}],
        },
    ],
}


def _pool_children(cluster: Cluster) -> set[int]:
    """The prefork processes of every queue worker (each runs one job at a time)."""
    import psutil

    return {child.pid for pid in cluster.queue_pids for child in psutil.Process(pid).children(recursive=True)}


def test_cancel_reaches_the_queue_worker_running_the_job_and_replay_starts_new_jobs(cluster: Cluster) -> None:
    auth = (cluster.api_key, cluster.app_secret)
    with client(cluster) as http:
        created = http.post("/workflows-beta/workflows", json=HEAVY_WORKFLOW, auth=auth)
        assert created.status_code == 201, created.text
        handle = upload(http, cluster, noisy_photo(3000))
        started = http.post(
            "/workflows-beta/jobs", json={"workflow": created.json()["id"], "handle": handle}, auth=auth
        )
        assert started.status_code == 201, started.text
        job = started.json()["uuid"]
        wait_until(
            lambda: (
                cluster.sql("SELECT state FROM job_tasks WHERE job_uuid = %s AND task_id = 'heavy'", (job,))
                == [("running",)]
            ),
            60,
            0.05,
            "the heavy task running in a queue worker",
        )
        children = _pool_children(cluster)

        answers = [
            http.post(f"/workflows-beta/jobs/{job}/cancel", json={"by": "ops"}, auth=auth) for _ in range(2)
        ]
        assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
        first, second = (a.json() for a in answers)
        assert first["status"] == second["status"] == {"type": "failed", "text": "cancelled by ops"}
        assert first["tasks"]["heavy"]["state"] == "failed" and first["tasks"]["after"]["state"] == "skipped"
        # The worker process running the job was killed and replaced: the task was stopped there.
        wait_until(
            lambda: not children <= _pool_children(cluster), 60, 0.1, "the job's worker process replaced"
        )
        output = cluster.sql(
            "SELECT handle FROM job_outputs WHERE job_uuid = %s AND task_id = 'heavy'", (job,)
        )
        stored = {row[0] for row in cluster.sql("SELECT handle FROM files")}
        assert not {row[0] for row in output} & stored, "the cancelled task stored its output"
        status = wait_for_job(http, cluster, job, 10)
        assert status["status"] == "Failed" and status["error"] == "cancelled by ops"

        replays = [http.post(f"/workflows-beta/jobs/{job}/replay", auth=auth) for _ in range(2)]
        assert [r.status_code for r in replays] == [201, 201], [r.text for r in replays]
        uuids = [r.json()["uuid"] for r in replays]
        assert len(set(uuids)) == 2 and all(r.json()["replayOf"] == job for r in replays)
        assert http.get(f"/workflows-beta/jobs/{job}", auth=auth).json()["replays"] == uuids
        for uuid in uuids:  # a replay is an ordinary job: it can be cancelled too
            assert http.post(f"/workflows-beta/jobs/{uuid}/cancel", auth=auth).status_code == 200
        # The worker takes the next job after the kill.
        quick = http.post(
            "/workflows-beta/workflows",
            json={
                "name": "quick",
                "tasks": [{"action": "process", "params": {"tasks": "flip/store=location:s3"}}],
            },
            auth=auth,
        ).json()["id"]
        done = run_workflow(http, cluster, quick, upload(http, cluster, small_photo(7)))
        assert wait_for_job(http, cluster, done, 60)["status"] == "Finished"
    assert cluster.sql("SELECT status, cancelled_by FROM jobs WHERE uuid = %s", (job,)) == [("failed", "ops")]
