"""Every page carries its security headers, from the dev server and from the backend, and works under them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .steps import new_username, photo, sign_up, upload_and_follow

pytestmark = pytest.mark.browser

PAGES = ("/", "/login", "/signup", "/profile", "/settings", "/workflows", "/jobs", "/u/nobody-here")

#: Reported by the page when the policy blocks anything (an image, a script, the websocket).
RECORD_VIOLATIONS = """() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (e) =>
    window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
}"""


def _assert_page_headers(answer: httpx.Response, backend: str) -> None:
    where = f"{answer.request.method} {answer.request.url}"
    policy = answer.headers.get("content-security-policy", "")
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives.get("frame-ancestors") == "'none'", (where, policy)
    assert backend in directives.get("img-src", ""), (where, policy)  # the photos
    ws_backend = backend.replace("http://", "ws://")
    assert ws_backend in directives.get("connect-src", ""), (where, policy)  # Reflex's websocket
    assert directives.get("object-src") == "'none'", (where, policy)
    assert answer.headers.get("x-content-type-options") == "nosniff", where
    assert answer.headers.get("referrer-policy") == "strict-origin-when-cross-origin", where
    assert answer.headers.get("x-frame-options") == "DENY", where


def test_every_page_and_the_backend_send_the_security_headers(running_app) -> None:
    with httpx.Client(timeout=60) as http:
        for path in PAGES:  # the dev server of `reflex run`
            answer = http.get(f"{running_app.frontend}{path}")
            assert answer.status_code == 200 and "<html" in answer.text.lower(), path
            _assert_page_headers(answer, running_app.backend)
        # The backend: what it answers itself, and the embedded service it carries.
        for path in ("/ping", "/cdn/doesnotexist12345678"):
            _assert_page_headers(http.get(f"{running_app.backend}{path}"), running_app.backend)


def test_the_profile_works_under_the_policy(running_app, browser, tmp_path, artifacts) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text) if message.type == "error" else None)
    page.add_init_script(f"({RECORD_VIOLATIONS})()")
    sign_up(page, running_app, new_username("csp"))
    upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "me.jpg", (900, 700), "#aa3366"), (400, 400)
    )
    shown: Any = page.evaluate(
        "() => { const img = document.getElementById('avatar-image'); return [img.complete, img.naturalWidth]; }"
    )
    assert shown == [True, 400], shown  # the photo, served by the backend, was let in and decoded
    page.screenshot(path=str(artifacts / "csp-profile.png"))
    violations = page.evaluate("() => window.__violations")
    assert violations == [], violations
    assert not [text for text in console if "Content Security Policy" in text], console
    page.close()
