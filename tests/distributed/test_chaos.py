"""Redis and PostgreSQL restarted (each once) under load: every job still ends Finished with one output.

The cluster runs on a Redis and a PostgreSQL of this test's own (``own_servers.py``); the shared
servers other work uses are never restarted. Uploaders keep uploading and starting the profile
workflow through the cluster's one port while Redis restarts, then PostgreSQL; a call that fails
while a server is down is retried, as clients do. Afterwards: every acknowledged upload is served
with its bytes, every acknowledged job ended Finished with exactly one output, and a page opened
before the restarts still takes a photo through to "Saved".
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from dashboard.filestack_protocol.security import scoped_security
from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID

from .conftest import Cluster, running_cluster, wait_until
from .own_servers import OwnPostgres, OwnRedis, ServerMissing
from .test_cluster import small_photo
from .test_page import _chromium

pytestmark = pytest.mark.distributed

UPLOADERS = 4
JOBS_PER_UPLOADER = 8
#: How long one call may keep failing while a server restarts before the test gives up.
OUTAGE_S = 120
#: How long the jobs may take to end once the load stops.
DRAIN_S = 300


@pytest.fixture(scope="module")
def chaos(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Cluster, OwnRedis, OwnPostgres]]:
    """A cluster on servers of its own, which the test restarts."""
    pytest.importorskip("celery", reason="the scale extra is not installed (pip install -e '.[scale]')")
    try:
        redis_server, postgres = OwnRedis(), OwnPostgres()
    except ServerMissing as missing:
        pytest.skip(str(missing))  # CI=true turns this into a failure
    try:
        redis_server.start()
        postgres.start()
        with running_cluster(tmp_path_factory.mktemp("chaos"), postgres.url, redis_server.url) as cluster:
            yield cluster, redis_server, postgres
    finally:
        redis_server.close()
        postgres.close()


#: Calls that failed while a server was down and were sent again (reported, not asserted).
RETRIED: list[str] = []


def retried(call: Callable[[], httpx.Response], what: str) -> httpx.Response:
    """``call()`` until it answers 200/201; connection errors and 5xx are retried for up to OUTAGE_S."""
    deadline = time.monotonic() + OUTAGE_S
    while True:
        try:
            answer = call()
            if answer.status_code in (200, 201):
                return answer
            problem = f"{answer.status_code} {answer.text[:200]}"
            if answer.status_code < 500:
                raise AssertionError(f"{what}: {problem}")
        except httpx.TransportError as err:
            problem = repr(err)
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} kept failing for {OUTAGE_S} s: {problem}")
        RETRIED.append(f"{what}: {problem[:80]}")
        time.sleep(0.5)


class Load:
    """Uploaders storing photos and starting the profile workflow on each, counting what was acknowledged."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.uploads: dict[str, bytes] = {}
        self.jobs: list[str] = []
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(n,)) for n in range(UPLOADERS)]

    def _run(self, uploader: int) -> None:
        try:
            with httpx.Client(base_url=self.cluster.url, timeout=30) as http:
                for number in range(JOBS_PER_UPLOADER):
                    self._one(http, uploader * 100 + number)
        except BaseException as err:  # noqa: BLE001 -- reported by the test
            self.errors.append(err)

    def _one(self, http: httpx.Client, number: int) -> None:
        cluster = self.cluster
        data = small_photo(number)
        store = scoped_security(cluster.app_secret, calls=["store"])
        stored = retried(
            lambda: http.post(
                "/www/api/store/S3",
                params={"key": cluster.api_key, **store.as_query()},
                content=data,
                headers={"Content-Type": "image/jpeg"},
            ),
            "upload",
        )
        handle = str(stored.json()["handle"])
        with self.lock:
            self.uploads[handle] = data
        run = scoped_security(cluster.app_secret, calls=["runWorkflow", "convert", "read"], handle=handle)
        policy = f"security=p:{run.policy},s:{run.signature}"
        started = retried(
            lambda: http.get(
                f"/cdn/{cluster.api_key}/{policy}/run_workflow=id:{PROFILE_PICTURE_ID}/{handle}"
            ),
            "run_workflow",
        )
        with self.lock:
            self.jobs.append(str(started.json()["jobid"]))

    def acknowledged(self) -> int:
        with self.lock:
            return len(self.jobs)


def _status(http: httpx.Client, cluster: Cluster, jobid: str) -> str:
    run = scoped_security(cluster.app_secret, calls=["runWorkflow", "convert", "read"])
    answer = http.get(
        f"/cdn/{cluster.api_key}/security=p:{run.policy},s:{run.signature}/workflow_status=job_id:{jobid}"
    )
    return str(answer.json().get("status", "")) if answer.status_code == 200 else ""


def _sign_up(page: Any, cluster: Cluster) -> None:
    page.goto(cluster.url.replace("127.0.0.1", "localhost") + "/signup", timeout=120_000)
    page.wait_for_selector("#signup-username", timeout=120_000)
    page.fill("#signup-username", f"chaos-{os.getpid()}-{int(time.time())}")
    page.fill("#signup-password", "difference engine 1822")
    page.click("#signup-submit")
    page.wait_for_url("**/profile", timeout=60_000)
    page.wait_for_selector("#profile-name", timeout=120_000)


def test_redis_and_postgres_restarted_under_load_every_job_finishes_once(chaos, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    cluster, redis_server, postgres = chaos
    total = UPLOADERS * JOBS_PER_UPLOADER
    photo = tmp_path / "after.jpg"
    Image.new("RGB", (900, 700), (200, 120, 30)).save(photo, "JPEG")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            _sign_up(page, cluster)  # the page is open before the servers restart

            load = Load(cluster)
            for thread in load.threads:
                thread.start()
            wait_until(
                lambda: load.acknowledged() >= total // 4 or bool(load.errors),
                300,
                message="a quarter of the jobs",
            )
            redis_server.restart()
            wait_until(
                lambda: load.acknowledged() >= total // 2 or bool(load.errors),
                300,
                message="half of the jobs",
            )
            postgres.restart()
            for thread in load.threads:
                thread.join(timeout=OUTAGE_S * 2 + 300)
            assert not load.errors, load.errors
            assert len(load.jobs) == total and redis_server.restarts == postgres.restarts == 1

            # The page opened before the restarts still uploads and follows a photo to the end.
            page.locator("#avatar-upload input[type=file]").set_input_files(str(photo))
            # The crop dialog opens on the chosen photo: keep its frame and save, as a person would.
            page.click("#crop-confirm", timeout=60_000)
            page.wait_for_selector("#crop-dialog", state="detached", timeout=60_000)
            page.wait_for_function(
                "(id) => document.getElementById(id).textContent.includes('Saved')",
                arg="avatar-status",
                timeout=DRAIN_S * 1000,
            )
        finally:
            browser.close()

    with httpx.Client(base_url=cluster.url, timeout=30) as http:
        wait_until(
            lambda: all(_status(http, cluster, job) in ("Finished", "Failed") for job in load.jobs),
            DRAIN_S,
            interval_s=1.0,
            message="every acknowledged job ended",
        )
        ended = cluster.sql(
            "SELECT status, count(*) FROM jobs WHERE uuid = ANY(%s) GROUP BY status", (load.jobs,)
        )
        failed = cluster.sql(
            "SELECT j.uuid, j.status_text, t.task_id, t.reason FROM jobs j LEFT JOIN job_tasks t ON t.job_uuid = j.uuid"
            " WHERE j.uuid = ANY(%s) AND j.status <> 'done'",
            (load.jobs,),
        )
        assert ended == [("done", total)], (ended, failed)
        outputs = cluster.sql(
            "SELECT job_uuid, count(*) FROM job_outputs WHERE job_uuid = ANY(%s) GROUP BY job_uuid",
            (load.jobs,),
        )
        assert len(outputs) == total and all(count == 1 for _job, count in outputs), outputs
        for handle, data in load.uploads.items():  # no acknowledged upload lost
            read = scoped_security(cluster.app_secret, calls=["read"], handle=handle)
            served = http.get(f"/cdn/{cluster.api_key}/security=p:{read.policy},s:{read.signature}/{handle}")
            assert served.status_code == 200 and served.content == data, handle
    print(
        f"\n{total} jobs, Redis and PostgreSQL restarted once each: all Finished with one output; "
        f"{len(RETRIED)} calls failed during the restarts and were sent again: {sorted(set(RETRIED))[:5]}"
    )
