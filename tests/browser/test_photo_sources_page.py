"""A photo from a link, Remove photo and Undo, as a person does them in the browser.

The links point at a small HTTP server the test runs on a loopback address the app's file
service is allowed to fetch from (``FETCH_ALLOWED_HOSTS``, see conftest); a link to the app's
own backend on 127.0.0.1 stands for a private address, which must be refused.
"""

from __future__ import annotations

import http.server
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Self

import pytest

from .conftest import LINK_HOST
from .steps import (
    decode,
    file_status,
    handle_of,
    new_username,
    photo,
    sign_up,
    upload_and_follow,
    wait_for_photo,
)

pytestmark = pytest.mark.browser

#: Announced (never sent) size of the "too large" file: above the 25 MiB upload limit.
HUGE_BYTES = 30 * 1024 * 1024


class PhotoServer:
    """Files served on the loopback address the app may fetch from."""

    def __init__(self, files: dict[str, tuple[bytes, str]]) -> None:
        self.files = files
        self.requests: list[str] = []
        served = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the standard library's name
                served.requests.append(self.path)
                if self.path == "/huge.jpg":
                    self.send_response(200)
                    self.send_header("Content-Type", "image/jpeg")
                    self.send_header("Content-Length", str(HUGE_BYTES))
                    self.end_headers()
                    return
                found = served.files.get(self.path)
                if found is None:
                    self.send_error(404)
                    return
                body, kind = found
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args: Any) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer((LINK_HOST, 0), Handler)
        self.base = f"http://{LINK_HOST}:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture()
def photos(tmp_path: Path) -> Iterator[PhotoServer]:
    jpeg = photo(tmp_path / "linked.jpg", (1000, 800), "#2a6f4e").read_bytes()
    with PhotoServer(
        {"/linked.jpg": (jpeg, "image/jpeg"), "/notes.txt": (b"not a photo at all\n" * 50, "text/plain")}
    ) as server:
        yield server


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind((LINK_HOST, 0))
        return sock.getsockname()[1]


def _status_says(page: Any, status_id: str, words: str, timeout_ms: int = 30_000) -> str:
    page.wait_for_function(
        "([id, words]) => (document.getElementById(id) || {}).textContent?.includes(words)",
        arg=[status_id, words],
        timeout=timeout_ms,
    )
    return page.inner_text(f"#{status_id}")


def _use_link(page: Any, slot: str, link: str) -> None:
    page.click(f"#{slot}-url")
    page.fill(f"#{slot}-url", link)
    page.press(f"#{slot}-url", "Enter")


def test_a_photo_from_a_link_is_saved_like_an_upload(running_app, browser, photos, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("link"))
    page.fill("#avatar-url", f"{photos.base}/linked.jpg")
    page.click("#avatar-url-submit")
    # The preview of the stored original first, then the workflow's final file.
    page.wait_for_function(
        "() => (document.getElementById('avatar-image').getAttribute('src') || '').includes('resize=')",
        timeout=30_000,
    )
    _status_says(page, "avatar-status", "Saved", 90_000)
    final = page.get_attribute("#avatar-image", "src")
    assert "resize=" not in final
    assert decode(final).size == (400, 400)
    assert photos.requests == ["/linked.jpg"]
    assert page.input_value("#avatar-url") == ""
    page.screenshot(path=str(artifacts / "photo-from-link-1280.png"), full_page=True)
    page.reload()
    wait_for_photo(page, "avatar-image", handle_of(final))
    context.close()


def test_links_that_give_no_photo_are_refused_in_plain_words(running_app, browser, photos, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("badlink"))
    backend_port = running_app.backend.rsplit(":", 1)[-1]
    cases = [
        (f"http://127.0.0.1:{backend_port}/ping", "not allowed"),
        (f"{photos.base}/notes.txt", "does not lead to a photo"),
        (f"{photos.base}/huge.jpg", "larger than 25.0 MB"),
        (f"http://{LINK_HOST}:{_closed_port()}/gone.jpg", "could not be reached"),
        ("ftp://example.com/photo.jpg", "not a web link"),
    ]
    for link, words in cases:
        _use_link(page, "cover", link)
        said = _status_says(page, "cover-status", words)
        assert not re.search(r"HTTP \d|\b[45]\d\d\b|127\.0\.0|refusing|bytes", said), said  # plain words only
        assert page.locator("#cover-status").get_attribute("class").find("rose") >= 0
        assert page.locator("text=Retry").count() == 0
    page.screenshot(path=str(artifacts / "photo-link-refused-1280.png"), full_page=True)
    # Nothing was kept: the cover is still the placeholder.
    assert page.get_attribute("#cover-image", "src") is None
    context.close()


def test_remove_and_undo_then_remove_and_let_the_window_pass(running_app, browser, tmp_path, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("undo"))
    final, _original = upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "me.jpg", (900, 700), "#553377"), (400, 400)
    )
    handle = handle_of(final)
    # Saving offers Undo too; this person keeps the photo and removes it instead.
    page.wait_for_selector("#undo-button")
    assert "saved" in page.inner_text("#undo-toast").lower()

    page.click("#avatar-remove")
    page.wait_for_function("() => !document.getElementById('avatar-image').getAttribute('src')")
    assert page.get_attribute("#avatar-image", "role") == "img"  # the initials placeholder
    page.wait_for_function("() => document.getElementById('undo-toast').textContent.includes('removed')")
    page.screenshot(path=str(artifacts / "photo-removed-undo-toast-1280.png"), full_page=True)
    assert file_status(running_app, handle) == 200  # kept during the window
    page.click("#undo-button")
    wait_for_photo(page, "avatar-image", handle)
    page.wait_for_selector("#undo-button", state="detached")
    page.reload()
    wait_for_photo(page, "avatar-image", handle)

    # Removed again, and this time the window passes: the file is deleted, the page keeps the placeholder.
    page.click("#avatar-remove")
    page.wait_for_function("() => !document.getElementById('avatar-image').getAttribute('src')")
    page.wait_for_selector("#undo-button", state="detached", timeout=30_000)
    deadline_checks = 0
    while file_status(running_app, handle) != 404:
        deadline_checks += 1
        assert deadline_checks < 100, "the removed photo was not deleted after its undo window"
        page.wait_for_timeout(200)
    page.reload()
    page.wait_for_selector("#avatar-image")
    assert page.get_attribute("#avatar-image", "src") is None
    context.close()
