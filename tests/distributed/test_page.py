"""The profile page on the cluster: an app worker killed mid-job, the page still gets the final photo."""

from __future__ import annotations

import io
import os
import signal
import time

import httpx
import psutil
import pytest
from PIL import Image

from .conftest import Cluster, wait_until

pytestmark = pytest.mark.distributed

FOLLOW_TAKEOVER_S = 30
#: How long a page may take to open a new websocket after its worker died (a hang beyond that).
RECONNECT_S = 30
#: The Redis keys a job's follower writes (dashboard/follow_leases.py).
FOLLOW_KEYS = ("dashboard:photo-follow:client:{job}", "dashboard:photo-follow:lease:{job}")


def _chromium() -> str:
    from shutil import which

    for name in ("chromium", "chromium-browser"):
        if which(name):
            return str(which(name))
    pytest.skip("no Chromium on this machine")


def _connections(pid: int, port: int) -> int:
    return sum(
        1
        for c in psutil.Process(pid).net_connections(kind="tcp")
        if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port
    )


def _wait_for_follower(cluster: Cluster) -> None:
    """Until the newest photo job's follower holds its lease and has noted the page in Redis."""
    import redis

    job = cluster.sql("SELECT max(id) FROM photojob")[0][0]
    server = redis.Redis.from_url(cluster.redis_url)
    wait_until(
        lambda: all(server.exists(key.format(job=job)) for key in FOLLOW_KEYS),
        60,
        message=f"the follower of photo job {job} registered in Redis",
    )


def _signal_queue(cluster: Cluster, sig: signal.Signals) -> None:
    for pid in cluster.queue_pids:
        if psutil.pid_exists(pid):
            os.killpg(pid, sig)


def test_an_app_worker_killed_mid_job_the_page_reconnects_and_gets_the_final_photo(
    cluster: Cluster, tmp_path
):
    from playwright.sync_api import sync_playwright

    photo = tmp_path / "photo.jpg"
    Image.new("RGB", (900, 700), (30, 120, 200)).save(photo, "JPEG")
    port = int(cluster.url.rsplit(":", 1)[1])
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            sockets: list[str] = []
            page.on("websocket", lambda ws: sockets.append(ws.url))
            # Sign up on whichever worker answers; the session lives in PostgreSQL, so every worker accepts it.
            page.goto(cluster.url.replace("127.0.0.1", "localhost") + "/signup", timeout=120_000)
            page.wait_for_selector("#signup-username", timeout=120_000)
            page.fill("#signup-username", f"cluster-{os.getpid()}-{int(time.time())}")
            page.fill("#signup-password", "analytical engine 1843")
            page.click("#signup-submit")
            page.wait_for_url("**/profile", timeout=60_000)
            page.wait_for_selector("#profile-name", timeout=120_000)
            # Hold the queue so the job is still running when the app worker dies.
            _signal_queue(cluster, signal.SIGSTOP)
            try:
                page.locator("#avatar-upload input[type=file]").set_input_files(str(photo))
                # The crop dialog opens on the chosen photo: keep its frame and save, as a person would.
                page.click("#crop-confirm", timeout=60_000)
                page.wait_for_selector("#crop-dialog", state="detached", timeout=60_000)
                page.wait_for_function(
                    "(id) => (document.getElementById(id).getAttribute('src') || '').includes('resize=')",
                    arg="avatar-image",
                    timeout=30_000,
                )
                page.wait_for_function(
                    "(id) => document.getElementById(id).textContent.includes('Processing')",
                    arg="avatar-status",
                    timeout=30_000,
                )
                _wait_for_follower(cluster)
                # Kill the worker holding the page's websocket: the busiest first; if the page did not
                # reconnect, the websocket was on the other one, which is killed next.
                originals = cluster.app_worker_pids()
                ordered = sorted(originals, key=lambda pid: _connections(pid, port), reverse=True)
                opened = len(sockets)
                for victim in ordered:
                    os.kill(victim, signal.SIGKILL)
                    deadline = time.monotonic() + RECONNECT_S
                    while len(sockets) == opened and time.monotonic() < deadline:
                        page.wait_for_timeout(200)
                    if len(sockets) > opened:
                        break
                assert len(sockets) > opened, "the page never reconnected"
            finally:
                _signal_queue(cluster, signal.SIGCONT)
            page.wait_for_function(
                "(id) => document.getElementById(id).textContent.includes('Saved')",
                arg="avatar-status",
                timeout=FOLLOW_TAKEOVER_S * 1000,
            )
            final = page.get_attribute("#avatar-image", "src") or ""
            assert "resize=" not in final
            answer = httpx.get(final.replace("localhost", "127.0.0.1"), timeout=20)
            assert answer.status_code == 200
            assert Image.open(io.BytesIO(answer.content)).size == (400, 400)
            assert set(cluster.app_worker_pids()).isdisjoint({victim}), "the killed worker was not replaced"
        finally:
            browser.close()
