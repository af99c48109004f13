"""The profile page in a real browser against the app started with ``reflex run``."""

from __future__ import annotations

import pytest

from .steps import new_username, photo, sign_up, upload_and_follow, wait_for_photo

pytestmark = pytest.mark.browser


def test_avatar_and_cover_are_processed_and_survive_reload(running_app, browser, tmp_path, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    username = new_username("ada")
    sign_up(page, running_app, username)

    avatar, _ = upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "me.jpg", (1600, 1200), "#3355aa"), (400, 400)
    )
    cover, _ = upload_and_follow(
        page, running_app, "cover", photo(tmp_path / "cover.jpg", (2400, 1600), "#aa5533"), (1500, 500)
    )
    page.screenshot(path=str(artifacts / "profile-1280.png"), full_page=True)

    page.reload()
    page.wait_for_selector("#profile-name")
    wait_for_photo(page, "avatar-image", avatar.rsplit("/", 1)[-1])
    assert page.get_attribute("#cover-image", "src").endswith(cover.rsplit("/", 1)[-1])

    mobile = context.new_page()
    mobile.set_viewport_size({"width": 375, "height": 812})
    mobile.goto(f"{running_app.frontend}/profile")
    mobile.wait_for_selector("#avatar-image")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"
    mobile.screenshot(path=str(artifacts / "profile-375.png"), full_page=True)
    context.close()


def test_text_file_named_jpg_is_rejected_and_photo_stays(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("grace"))
    before, _ = upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "good.jpg", (900, 700), "#227744"), (400, 400)
    )
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is not a photo, it is a text file\n" * 20)
    page.locator("#avatar-upload input[type=file]").set_input_files(str(fake))
    page.wait_for_function(
        "() => /not an image/i.test(document.getElementById('avatar-status').textContent)", timeout=30_000
    )
    assert page.get_attribute("#avatar-image", "src") == before
    context.close()
