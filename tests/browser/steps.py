"""What a person does in the browser tests: sign up, sign in, upload a photo and wait for it; and checks of files."""

from __future__ import annotations

import io
import json
import re
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from PIL import Image, ImageDraw

from dashboard.filestack_protocol.security import scoped_security

PASSWORD = "analytical engine 1843"

RECORD_STATUS = """
(id) => {
  window.__statuses = window.__statuses || {};
  const seen = window.__statuses[id] = [];
  const el = document.getElementById(id);
  seen.push(el.textContent);
  new MutationObserver(() => seen.push(el.textContent)).observe(el, {subtree: true, characterData: true, childList: true});
}
"""

#: Records every ``src`` the element ``id`` shows, also when it is replaced by another element with
#: that id: a preview that a quickly finished job replaces at once is still seen.
RECORD_SOURCES = """
(id) => {
  window.__sources = window.__sources || {};
  const seen = window.__sources[id] = [];
  const note = () => {
    const src = document.getElementById(id)?.getAttribute('src') || '';
    if (src && seen[seen.length - 1] !== src) seen.push(src);
  };
  note();
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}
"""


def new_username(prefix: str) -> str:
    """A username nobody else in the run has."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def photo(path: Path, size: tuple[int, int], color: str) -> Path:
    """A photo-like JPEG with shapes, so processing has something to do."""
    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    w, h = size
    for i in range(0, w, max(1, w // 12)):
        draw.line([(i, 0), (w - i, h)], fill=(255 - i % 255, 90, i % 200), width=9)
    draw.ellipse([w // 3, h // 3, 2 * w // 3, 2 * h // 3], fill="white")
    image.save(path, "JPEG", quality=90)
    return path


def decode(url: str) -> Image.Image:
    """The image at ``url``, decoded."""
    response = httpx.get(url, timeout=20)
    assert response.status_code == 200, (url, response.status_code, response.text[:200])
    return Image.open(io.BytesIO(response.content))


def handle_of(url: str) -> str:
    """The file handle at the end of a CDN URL."""
    return url.rstrip("/").rsplit("/", 1)[-1]


def app_secret(running_app: Any) -> str:
    """The secret the app's embedded service generated (``DATA_DIR/credentials.json``)."""
    data_dir = Path(running_app.log).parent / "filestack"
    return str(json.loads((data_dir / "credentials.json").read_text())["app_secret"])


def file_status(running_app: Any, handle: str) -> int:
    """The HTTP status of a file's CDN URL, signed like the app signs (security is required)."""
    security = scoped_security(
        app_secret(running_app), calls=["read", "convert"], handle=handle, ttl_seconds=60
    )
    url = f"{running_app.backend}/cdn/security=p:{security.policy},s:{security.signature}/{handle}"
    return httpx.get(url, timeout=10).status_code


def sign_up(page: Any, running_app: Any, username: str, password: str = PASSWORD) -> None:
    """Create an account through the sign-up form and land on one's own profile."""
    page.goto(f"{running_app.frontend}/signup", timeout=120_000)
    page.wait_for_selector("#signup-username", timeout=120_000)
    page.fill("#signup-username", username)
    page.fill("#signup-password", password)
    page.click("#signup-submit")
    page.wait_for_url("**/profile", timeout=60_000)
    page.wait_for_function(
        "(name) => (document.getElementById('profile-name') || {}).textContent === name",
        arg=username,
        timeout=60_000,
    )


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    """Fill the sign-in form (the page is already on it) and submit."""
    page.wait_for_selector("#login-username", timeout=60_000)
    page.fill("#login-username", username)
    page.fill("#login-password", password)
    page.click("#login-submit")


def upload_and_follow(
    page: Any, running_app: Any, slot: str, path: Path, size: tuple[int, int]
) -> tuple[str, str]:
    """Drop a photo on a slot, see its preview, wait for "Saved"; returns (final URL, original handle)."""
    status_id, image_id = f"{slot}-status", f"{slot}-image"
    page.evaluate(RECORD_STATUS, status_id)
    page.evaluate(RECORD_SOURCES, image_id)
    page.locator(f"#{slot}-upload input[type=file]").set_input_files(str(path))
    save_framed(page)
    # The preview is a transformation URL of the original upload, shown as soon as it is stored
    # (a job that finishes at once may replace it within a frame: every src shown is recorded).
    page.wait_for_function(
        "(id) => window.__sources[id].some((src) => src.includes('resize='))",
        arg=image_id,
        timeout=30_000,
    )
    preview = next(s for s in page.evaluate("(id) => window.__sources[id]", image_id) if "resize=" in s)
    original = handle_of(preview)
    assert re.fullmatch(r"[A-Za-z0-9_-]{20}", original)
    page.wait_for_function(
        "(id) => document.getElementById(id).textContent.includes('Saved')", arg=status_id, timeout=90_000
    )
    statuses = page.evaluate("(id) => window.__statuses[id]", status_id)
    assert any("Processing" in s for s in statuses), statuses
    final = page.get_attribute(f"#{image_id}", "src")
    assert "resize=" not in final and handle_of(final) != original
    assert decode(final).size == size
    # The original upload is deleted once the final file is saved (the page shows "Saved" first).
    deadline = time.monotonic() + 30
    while file_status(running_app, original) != 404:
        assert time.monotonic() < deadline, f"the original {original} was not deleted"
        time.sleep(0.1)
    return final, original


def save_framed(page: Any) -> None:
    """Keep the crop dialog's frame as it opens (centred) and save."""
    page.wait_for_selector("#crop-confirm", state="visible", timeout=30_000)
    page.click("#crop-confirm")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)


def wait_for_photo(page: Any, image_id: str, handle: str, timeout_ms: int = 30_000) -> None:
    """Wait until the ``<img id=image_id>`` shows the file ``handle``."""
    page.wait_for_function(
        "([id, handle]) => { const el = document.getElementById(id);"
        " return !!el && (el.getAttribute('src') || '').endsWith(handle); }",
        arg=[image_id, handle],
        timeout=timeout_ms,
    )
