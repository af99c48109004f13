"""Two people and a visitor in three browser contexts at once: own photos only, a public page, sign-out, deletion."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Error as PlaywrightError

from .steps import (
    PASSWORD,
    decode,
    file_status,
    handle_of,
    new_username,
    photo,
    sign_in,
    sign_up,
    upload_and_follow,
    wait_for_photo,
)

pytestmark = pytest.mark.browser

#: The sign-in page, with or without the page to come back to.
SIGN_IN_PAGE = re.compile(r".*/login(\?next=.*)?$")


def _record_traffic(page: Any) -> tuple[list[str], list[Any]]:
    """Every websocket frame and HTTP response the page receives."""
    frames: list[str] = []
    responses: list[Any] = []

    def on_websocket(socket: Any) -> None:
        socket.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            ),
        )

    page.on("websocket", on_websocket)
    page.on("response", lambda response: responses.append(response))
    return frames, responses


def _bodies(responses: list[Any]) -> list[str]:
    texts = []
    for response in responses:
        try:
            texts.append(response.body().decode("utf-8", "replace"))
        except PlaywrightError:  # redirects and aborted requests have no body
            continue
    return texts


def test_two_people_and_a_visitor(running_app, browser, tmp_path, artifacts):
    ada_name, bob_name = new_username("ada"), new_username("bob")
    ada_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    bob_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ada, bob = ada_ctx.new_page(), bob_ctx.new_page()
    sign_up(ada, running_app, ada_name)
    sign_up(bob, running_app, bob_name)

    # Both upload while both pages are open; each sees only their own photos.
    ada_avatar, ada_avatar_original = upload_and_follow(
        ada, running_app, "avatar", photo(tmp_path / "ada-avatar.jpg", (1600, 1200), "#3355aa"), (400, 400)
    )
    bob_avatar, bob_avatar_original = upload_and_follow(
        bob, running_app, "avatar", photo(tmp_path / "bob-avatar.jpg", (1200, 1200), "#aa3355"), (400, 400)
    )
    ada_cover, ada_cover_original = upload_and_follow(
        ada, running_app, "cover", photo(tmp_path / "ada-cover.jpg", (2400, 1600), "#aa5533"), (1500, 500)
    )
    bob_cover, bob_cover_original = upload_and_follow(
        bob, running_app, "cover", photo(tmp_path / "bob-cover.jpg", (2000, 1000), "#33aa55"), (1500, 500)
    )
    originals = [ada_avatar_original, bob_avatar_original, ada_cover_original, bob_cover_original]
    for page, own, other in ((ada, "ada-", "bob-"), (bob, "bob-", "ada-")):
        page.reload()
        page.wait_for_selector("#activity-list", timeout=60_000)
        page.wait_for_function(
            "(own) => document.getElementById('activity-list').textContent.includes(own + 'cover.jpg')",
            arg=own,
            timeout=30_000,
        )
        activity = page.text_content("#activity-list")
        assert own + "avatar.jpg" in activity and other not in activity, activity
    assert handle_of(ada.get_attribute("#avatar-image", "src")) == handle_of(ada_avatar)
    assert handle_of(bob.get_attribute("#avatar-image", "src")) == handle_of(bob_avatar)
    assert handle_of(ada.get_attribute("#cover-image", "src")) == handle_of(ada_cover)
    assert handle_of(bob.get_attribute("#cover-image", "src")) == handle_of(bob_cover)

    # The link to the public page, and the page as an anonymous visitor sees it.
    assert ada.get_attribute("#public-profile-link", "href") == f"/u/{ada_name}"
    visitor_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    visitor = visitor_ctx.new_page()
    frames, responses = _record_traffic(visitor)
    visitor.goto(f"{running_app.frontend}/u/{ada_name}", timeout=120_000)
    visitor.wait_for_function(
        "(name) => (document.getElementById('profile-name') || {}).textContent === name",
        arg=ada_name,
        timeout=60_000,
    )
    visitor.wait_for_selector("img#avatar-image", timeout=30_000)
    visitor.wait_for_load_state("networkidle")
    avatar_src = visitor.get_attribute("#avatar-image", "src")
    assert handle_of(avatar_src) == handle_of(ada_avatar)
    assert decode(avatar_src).size == (400, 400)
    # Security is required by default: the same file without the app's signature is refused.
    assert httpx.get(f"{running_app.backend}/cdn/{handle_of(avatar_src)}", timeout=10).status_code == 403
    assert handle_of(visitor.get_attribute("#cover-image", "src")) == handle_of(ada_cover)
    visitor.screenshot(path=str(artifacts / "public-1280.png"), full_page=True)
    seen = [visitor.content(), *frames, *_bodies(responses)]
    assert frames, "the websocket frames were not observed"
    assert any(handle_of(ada_avatar) in text for text in frames), "the state frames were not observed"
    for text in seen:
        assert "resize=" not in text, "a preview URL reached the public page"
        assert not [h for h in originals if h in text], "an original's handle reached the public page"
        assert bob_name not in text and handle_of(bob_avatar) not in text

    # Signing out sends /profile to the sign-in page, which brings you back after.
    ada.click("#logout-button")
    ada.wait_for_url(SIGN_IN_PAGE, timeout=30_000)
    ada.goto(f"{running_app.frontend}/profile")
    ada.wait_for_url("**/login?next=/profile", timeout=30_000)
    sign_in(ada, ada_name, "not the password at all")
    ada.wait_for_selector("#form-error", timeout=30_000)
    assert "Wrong username or password" in ada.text_content("#form-error")
    sign_in(ada, ada_name, PASSWORD)
    ada.wait_for_url("**/profile", timeout=30_000)
    wait_for_photo(ada, "avatar-image", handle_of(ada_avatar))

    # Ada deletes her account: her page and files answer 404; Bob's stay.
    ada.goto(f"{running_app.frontend}/settings")
    ada.wait_for_selector("#delete-account-button", timeout=60_000)
    ada.screenshot(path=str(artifacts / "settings-1280.png"), full_page=True)
    ada.fill("#delete-password", PASSWORD)
    ada.click("#delete-account-button")
    ada.wait_for_url(SIGN_IN_PAGE, timeout=60_000)
    for handle in (handle_of(ada_avatar), handle_of(ada_cover)):
        assert file_status(running_app, handle) == 404
    assert file_status(running_app, handle_of(bob_avatar)) == 200
    visitor.goto(f"{running_app.frontend}/u/{ada_name}")
    visitor.wait_for_selector("#not-found", timeout=60_000)
    assert "does not exist" in visitor.text_content("#not-found")
    visitor.screenshot(path=str(artifacts / "public-404-1280.png"), full_page=True)
    bob.reload()
    wait_for_photo(bob, "avatar-image", handle_of(bob_avatar))
    for context in (ada_ctx, bob_ctx, visitor_ctx):
        context.close()
