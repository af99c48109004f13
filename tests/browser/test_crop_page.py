"""Choosing and framing a photo, as a person does: the crop dialog, its keys, and what gets saved."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageStat

from .conftest import ARTIFACTS
from .steps import RECORD_STATUS, decode, handle_of, new_username, sign_up

pytestmark = pytest.mark.browser

RED, GREEN, BLUE = (220, 30, 30), (30, 190, 60), (40, 60, 220)


def three_bands(path: Path, size: tuple[int, int] = (1500, 500)) -> Path:
    """A wide photo of three equal vertical bands: red, green, blue."""
    width, height = size
    image = Image.new("RGB", size, GREEN)
    image.paste(RED, (0, 0, width // 3, height))
    image.paste(BLUE, (2 * width // 3, 0, width, height))
    image.save(path, "JPEG", quality=95)
    return path


def main_colour(image: Image.Image) -> tuple[int, int, int]:
    """The mean colour of the image's middle (away from the edges a resize blurs)."""
    width, height = image.size
    middle = image.convert("RGB").crop((width // 4, height // 4, 3 * width // 4, 3 * height // 4))
    r, g, b = (round(c) for c in ImageStat.Stat(middle).mean)
    return r, g, b


def nearest(colour: tuple[int, int, int]) -> str:
    named = {"red": RED, "green": GREEN, "blue": BLUE}
    return min(named, key=lambda name: sum((a - b) ** 2 for a, b in zip(colour, named[name])))


def choose(page, slot: str, path: Path) -> None:
    page.locator(f"#{slot}-upload input[type=file]").set_input_files(str(path))
    page.wait_for_selector("#crop-dialog", state="visible", timeout=30_000)
    # The frame shows the photo once it has loaded.
    page.wait_for_function(
        "() => { const img = document.querySelector('#crop-dialog img'); return !!img && img.complete"
        " && img.naturalWidth > 0; }",
        timeout=30_000,
    )


def test_framing_with_the_keyboard_saves_what_was_framed(running_app, browser, tmp_path, artifacts):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("frame"))
    page.evaluate(RECORD_STATUS, "avatar-status")
    choose(page, "avatar", three_bands(tmp_path / "bands.jpg"))
    # The frame opens centred on the green band, with the keyboard in the frame.
    assert page.evaluate("() => !!document.activeElement.closest('#crop-frame')")
    page.screenshot(path=str(artifacts / "crop-dialog-1280.png"), animations="disabled")
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    # Focus is back on the slot.
    assert page.evaluate("() => document.activeElement.id") == "avatar-upload"
    page.wait_for_function(
        "() => (document.getElementById('avatar-image').getAttribute('src') || '').includes('resize=')",
        timeout=60_000,
    )
    preview = page.get_attribute("#avatar-image", "src")
    assert nearest(main_colour(decode(preview))) == "red", main_colour(decode(preview))
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    final = page.get_attribute("#avatar-image", "src")
    assert handle_of(final) != handle_of(preview)
    saved = decode(final)
    assert saved.size == (400, 400)
    assert nearest(main_colour(saved)) == "red", main_colour(saved)
    context.close()


def test_escape_cancels_without_an_upload(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("cancel"))
    uploads: list[str] = []
    page.on("request", lambda request: uploads.append(request.url) if "_upload" in request.url else None)
    before = page.get_attribute("#avatar-image", "src")
    status = page.text_content("#avatar-status")
    choose(page, "avatar", three_bands(tmp_path / "bands.jpg"))
    page.keyboard.press("Escape")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    assert page.evaluate("() => document.activeElement.id") == "avatar-upload"
    # Choosing again and cancelling with the button: still nothing sent.
    choose(page, "avatar", three_bands(tmp_path / "bands.jpg"))
    page.click("#crop-cancel")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    page.wait_for_load_state("networkidle")
    assert uploads == []
    assert page.get_attribute("#avatar-image", "src") == before
    assert page.text_content("#avatar-status") == status
    context.close()


RECORD_UPLOADS = """
() => {
  window.__uploads = [];
  const send = XMLHttpRequest.prototype.send;
  XMLHttpRequest.prototype.send = function (body) {
    if (body instanceof FormData) {
      const record = { files: [], done: false };
      window.__uploads.push(record);
      for (const [name, value] of body.entries()) {
        if (value instanceof Blob) {
          const file = { name: name, size: value.size, type: value.type, width: 0, height: 0 };
          record.files.push(file);
          createImageBitmap(value).then((bitmap) => { file.width = bitmap.width; file.height = bitmap.height; });
        }
      }
      this.addEventListener("loadend", () => { record.done = true; });
    }
    return send.call(this, body);
  };
}
"""


def big_photo(path: Path, size: tuple[int, int] = (6000, 4000)) -> Path:
    """A 24-megapixel photo-like JPEG: noise over colour gradients, so it compresses like a photo."""
    width, height = size
    noise = Image.effect_noise((width // 4, height // 4), 48).resize(size)
    red = Image.linear_gradient("L").resize(size)
    blue = Image.linear_gradient("L").rotate(90).resize(size)
    Image.merge("RGB", (red, noise, blue)).save(path, "JPEG", quality=92)
    return path


def test_a_large_photo_is_sent_smaller_and_shown_before_it_arrives(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("big"))
    original = big_photo(tmp_path / "big.jpg")
    page.evaluate(RECORD_UPLOADS)
    choose(page, "avatar", original)
    # The dialog shows the browser's copy, already scaled to the 4096 px long side.
    assert page.evaluate("() => document.querySelector('#crop-dialog img').naturalWidth") == 4096
    # A slow uplink (about 2 Mbit/s), through Chromium's DevTools protocol.
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 40, "downloadThroughput": -1, "uploadThroughput": 256 * 1024},
    )
    page.click("#crop-confirm")
    # The framed photo shows in the slot from the browser's copy, with the progress on it,
    # while the upload is still on its way.
    page.wait_for_function(
        "() => (document.getElementById('avatar-image').getAttribute('src') || '').startsWith('blob:')",
        timeout=30_000,
    )
    assert page.evaluate("() => window.__uploads.length === 1 && !window.__uploads[0].done")
    assert page.is_visible("#avatar-progress")
    page.screenshot(path=str(ARTIFACTS / "avatar-uploading-1280.png"), animations="disabled")
    page.wait_for_function("() => window.__uploads[0].done", timeout=120_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    sent = page.evaluate("() => window.__uploads[0].files")
    assert len(sent) == 1, sent
    assert (sent[0]["width"], sent[0]["height"]) == (4096, 2731), sent
    assert sent[0]["type"] == "image/jpeg"
    assert sent[0]["size"] < original.stat().st_size, (sent[0]["size"], original.stat().st_size)
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=120_000
    )
    assert decode(page.get_attribute("#avatar-image", "src")).size == (400, 400)
    context.close()
