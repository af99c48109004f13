"""The profile page in a real browser against the app started with ``reflex run``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest
from PIL import Image, ImageDraw

pytestmark = pytest.mark.browser

RECORD_STATUS = """
(id) => {
  window.__statuses = window.__statuses || {};
  const seen = window.__statuses[id] = [];
  const el = document.getElementById(id);
  seen.push(el.textContent);
  new MutationObserver(() => seen.push(el.textContent)).observe(el, {subtree: true, characterData: true, childList: true});
}
"""


def _photo(path: Path, size: tuple[int, int], color: str) -> Path:
    """A photo-like JPEG with shapes, so processing has something to do."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    w, h = size
    for i in range(0, w, max(1, w // 12)):
        draw.line([(i, 0), (w - i, h)], fill=(255 - i % 255, 90, i % 200), width=9)
    draw.ellipse([w // 3, h // 3, 2 * w // 3, 2 * h // 3], fill="white")
    image.save(path, "JPEG", quality=90)
    return path


def _decode(url: str) -> Image.Image:
    response = httpx.get(url, timeout=20)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return Image.open(io.BytesIO(response.content))


def _handle_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def _upload_and_follow(page, running_app, slot: str, photo: Path, size: tuple[int, int]) -> str:
    status_id, image_id = f"{slot}-status", f"{slot}-image"
    page.evaluate(RECORD_STATUS, status_id)
    page.locator(f"#{slot}-upload input[type=file]").set_input_files(str(photo))
    # The preview is a transformation URL of the original upload, shown as soon as it is stored.
    page.wait_for_function(
        "(id) => (document.getElementById(id).getAttribute('src') || '').includes('resize=')",
        arg=image_id,
        timeout=30_000,
    )
    preview = page.get_attribute(f"#{image_id}", "src")
    original = _handle_of(preview)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", original)
    page.wait_for_function(
        "(id) => document.getElementById(id).textContent.includes('Saved')", arg=status_id, timeout=60_000
    )
    statuses = page.evaluate("(id) => window.__statuses[id]", status_id)
    assert any("Processing" in s for s in statuses), statuses
    final = page.get_attribute(f"#{image_id}", "src")
    assert "resize=" not in final and _handle_of(final) != original
    assert _decode(final).size == size
    # The original upload is deleted once the final file is saved.
    gone = httpx.get(f"{running_app.backend}/cdn/{original}", timeout=10)
    assert gone.status_code == 404, gone.text
    return final


def test_avatar_and_cover_are_processed_and_survive_reload(running_app, browser, tmp_path, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(running_app.frontend, timeout=120_000)
    page.wait_for_selector("#profile-name", timeout=120_000)
    assert page.text_content("#profile-name").strip()  # a default profile, not an empty page

    avatar = _upload_and_follow(page, running_app, "avatar", _photo(tmp_path / "me.jpg", (1600, 1200), "#3355aa"), (400, 400))
    cover = _upload_and_follow(page, running_app, "cover", _photo(tmp_path / "cover.jpg", (2400, 1600), "#aa5533"), (1500, 500))
    page.screenshot(path=str(artifacts / "profile-1280.png"), full_page=True)

    page.reload()
    page.wait_for_selector("#profile-name")
    page.wait_for_function(
        "(src) => document.getElementById('avatar-image').getAttribute('src') === src", arg=avatar, timeout=30_000
    )
    assert page.get_attribute("#cover-image", "src") == cover

    mobile = browser.new_page(viewport={"width": 375, "height": 812})
    mobile.goto(running_app.frontend)
    mobile.wait_for_selector("#avatar-image")
    width = mobile.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"page is {width}px wide at a 375px viewport"
    mobile.screenshot(path=str(artifacts / "profile-375.png"), full_page=True)
    mobile.close()
    page.close()


def test_text_file_named_jpg_is_rejected_and_photo_stays(running_app, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(running_app.frontend, timeout=120_000)
    page.wait_for_selector("#avatar-image")
    before = _upload_and_follow(page, running_app, "avatar", _photo(tmp_path / "good.jpg", (900, 700), "#227744"), (400, 400))
    fake = tmp_path / "holiday.jpg"
    fake.write_text("this is not a photo, it is a text file\n" * 20)
    page.locator("#avatar-upload input[type=file]").set_input_files(str(fake))
    page.wait_for_function(
        "() => /not an image/i.test(document.getElementById('avatar-status').textContent)", timeout=30_000
    )
    assert page.get_attribute("#avatar-image", "src") == before
    page.close()
