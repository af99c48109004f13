"""Two windows of one profile whose websockets live on different app workers: a save in one shows in the other."""

from __future__ import annotations

import os
import pickle
import time
from typing import Any

import pytest

from .conftest import Cluster

pytestmark = pytest.mark.distributed

#: Windows opened at most while looking for one on each worker (each lands on either of two by chance).
MAX_WINDOWS = 16


def _chromium() -> str:
    from shutil import which

    for name in ("chromium", "chromium-browser"):
        if which(name):
            return str(which(name))
    pytest.skip("no Chromium on this machine")


def _worker_of(page: Any, cluster: Cluster) -> str:
    """The app worker holding the window's websocket, as Reflex's token manager records it in Redis."""
    import redis

    token = page.evaluate("() => window.sessionStorage.getItem('token')")
    client = redis.Redis.from_url(cluster.redis_url)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        record = client.get(f"token_manager_socket_record_{token}")
        if record is not None:
            return str(pickle.loads(record).instance_id)
        page.wait_for_timeout(200)
    pytest.fail(f"no websocket recorded for window {token}")


def _shows_name(page: Any, name: str) -> None:
    page.wait_for_function(
        "(name) => (document.getElementById('profile-name') || {}).textContent === name",
        arg=name,
        timeout=30_000,
    )


def test_a_save_reaches_a_window_on_the_other_app_worker(cluster: Cluster) -> None:
    from playwright.sync_api import sync_playwright

    base = cluster.url.replace("127.0.0.1", "localhost")
    username = f"windows-{os.getpid()}-{int(time.time())}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=_chromium(), headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            first = context.new_page()
            first.goto(f"{base}/signup", timeout=120_000)
            first.wait_for_selector("#signup-username", timeout=120_000)
            first.fill("#signup-username", username)
            first.fill("#signup-password", "analytical engine 1843")
            first.click("#signup-submit")
            first.wait_for_url("**/profile", timeout=60_000)
            _shows_name(first, username)
            windows = {_worker_of(first, cluster): first}
            for _ in range(MAX_WINDOWS):
                if len(windows) > 1:
                    break
                page = context.new_page()
                page.goto(f"{base}/profile", timeout=120_000)
                _shows_name(page, username)
                worker = _worker_of(page, cluster)
                if worker in windows:
                    page.close()
                else:
                    windows[worker] = page
            assert len(windows) == 2, f"every window landed on one worker: {list(windows)}"
            one, other = windows.values()

            for saver, watcher, name in ((one, other, "Ada Lovelace"), (other, one, "Augusta Ada King")):
                saver.click("#name-edit")
                saver.fill("#name-input", name)
                saver.press("#name-input", "Enter")
                _shows_name(saver, name)
                _shows_name(watcher, name)
            assert cluster.sql(
                "SELECT p.name FROM profile p JOIN account a ON a.id = p.owner_id WHERE a.username = %s",
                (username,),
            ) == [("Augusta Ada King",)]
        finally:
            browser.close()
