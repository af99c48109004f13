"""Choosing and framing a photo, as a person does: the crop dialog, its keys, and what gets saved."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageStat

from .conftest import ARTIFACTS
from .steps import RECORD_STATUS, decode, file_status, handle_of, new_username, sign_up

pytestmark = pytest.mark.browser

RED, GREEN, BLUE = (220, 30, 30), (30, 190, 60), (40, 60, 220)

#: Every picture a slot shows, in order (a preview may be replaced by the final one within a frame).
RECORD_SOURCES = """
(id) => {
  window.__sources = window.__sources || {};
  const seen = window.__sources[id] = [];
  const note = () => {
    const el = document.getElementById(id);
    const src = el ? el.getAttribute('src') || '' : '';
    if (src && seen[seen.length - 1] !== src) seen.push(src);
  };
  note();
  new MutationObserver(note).observe(document.body, {subtree: true, childList: true, attributes: true,
    attributeFilter: ['src']});
}
"""


MEAN_COLOUR = """
async (src) => {
  const image = new Image();
  image.src = src;
  await image.decode();
  const bitmap = await createImageBitmap(image);
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width; canvas.height = bitmap.height;
  const context = canvas.getContext('2d');
  context.drawImage(bitmap, 0, 0);
  const w = bitmap.width, h = bitmap.height;
  const data = context.getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2), Math.floor(h / 2)).data;
  const sum = [0, 0, 0];
  for (let i = 0; i < data.length; i += 4) { sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2]; }
  const n = data.length / 4;
  return sum.map((value) => Math.round(value / n));
}
"""


def watch_previews(page, image_id: str) -> dict[str, bytes]:
    """Record what the slot paints: its sources, and the bodies of the server previews it loads."""
    page.evaluate(RECORD_SOURCES, image_id)
    bodies: dict[str, bytes] = {}

    def keep(response) -> None:
        if "resize=" in response.url and response.status == 200:
            bodies[response.url] = response.body()

    page.on("response", keep)
    return bodies


def previews_shown(page, image_id: str, bodies: dict[str, bytes]) -> list[str]:
    """The nearest named colour of every preview the slot painted: the browser's own framed copy
    (``blob:``) and the server's (``resize=``). A quick workflow may replace the server's preview
    before it is painted; the browser's copy is painted first, while the photo uploads."""
    painted = page.evaluate("(id) => window.__sources[id]", image_id)
    colours = [nearest(tuple(page.evaluate(MEAN_COLOUR, src))) for src in painted if src.startswith("blob:")]
    colours += [nearest(main_colour(Image.open(io.BytesIO(body)))) for body in bodies.values()]
    assert colours, painted
    return colours


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
    bodies = watch_previews(page, "avatar-image")
    choose(page, "avatar", three_bands(tmp_path / "bands.jpg"))
    # The frame opens centred on the green band, with the keyboard in the frame.
    assert page.evaluate("() => !!document.activeElement.closest('#crop-frame')")
    page.screenshot(path=str(artifacts / "crop-dialog-1280.png"), animations="disabled")
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    # Focus is back on the slot.
    assert page.evaluate("() => !!document.activeElement.closest('#avatar-upload')")
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    # What the slot showed while the photo was sent and processed was the framed band.
    assert set(previews_shown(page, "avatar-image", bodies)) == {"red"}
    saved = decode(page.get_attribute("#avatar-image", "src"))
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
    # Focus stays in the dialog, forwards and backwards.
    for key in ["Tab"] * 8 + ["Shift+Tab"] * 8:
        page.keyboard.press(key)
        assert page.evaluate("() => !!document.activeElement.closest('#crop-dialog')"), key
    # The wheel zooms the photo under the frame.
    frame = page.locator("#crop-frame").bounding_box()
    assert frame is not None
    page.mouse.move(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.mouse.wheel(0, -300)
    page.wait_for_function("() => Number(document.getElementById('crop-zoom').value) > 1")
    page.keyboard.press("Escape")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    assert page.evaluate("() => !!document.activeElement.closest('#avatar-upload')")
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


def test_cover_frame_on_a_phone_zoom_keys_and_rotate(running_app, browser, tmp_path, artifacts):
    context = browser.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_up(page, running_app, new_username("phone"))
    choose(page, "cover", three_bands(tmp_path / "small.jpg", (900, 300)))
    # A 900×300 photo is smaller than the 1500×500 cover: said before saving.
    assert "1500×500" in page.text_content("#crop-warning")
    box = page.locator("#crop-dialog").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.locator("#crop-confirm").is_visible()
    page.screenshot(path=str(artifacts / "crop-dialog-375.png"), animations="disabled")
    # axe-core finds nothing serious in the open dialog.
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context="#crop-dialog").response
    serious = [v["id"] for v in results["violations"] if v.get("impact") in ("serious", "critical")]
    assert serious == [], serious
    zoom = "() => Number(document.getElementById('crop-zoom').value)"
    assert page.evaluate(zoom) == 1
    page.keyboard.press("+")
    page.keyboard.press("+")
    page.wait_for_function(f"() => ({zoom})() > 1.15")
    page.keyboard.press("-")
    page.wait_for_function(f"() => Math.abs(({zoom})() - 1.1) < 0.01")
    page.click("#crop-rotate")
    page.wait_for_function(
        "() => (document.querySelector('#crop-dialog img').style.transform || '').includes('rotate(90deg)')"
    )
    page.click("#crop-cancel")
    page.wait_for_selector("#crop-dialog", state="detached")
    context.close()


def test_a_photo_dropped_on_a_slot_shows_where_it_lands_and_opens_the_frame(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("drag"))
    data = three_bands(tmp_path / "drag.jpg").read_bytes()
    transfer = page.evaluate_handle(
        """(bytes) => { const t = new DataTransfer();
        t.items.add(new File([new Uint8Array(bytes)], 'drag.jpg', {type: 'image/jpeg'})); return t; }""",
        list(data),
    )
    assert page.get_attribute("#cover-upload", "data-drag-over") is None
    page.dispatch_event("#cover-upload", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#cover-upload", "dragover", {"dataTransfer": transfer})
    assert page.get_attribute("#cover-upload", "data-drag-over") == "true"
    assert page.get_by_text("Drop to use this photo").is_visible()
    ring = page.evaluate("() => getComputedStyle(document.getElementById('cover-upload')).boxShadow")
    assert ring and ring != "none"
    page.dispatch_event("#cover-upload", "dragleave", {"dataTransfer": transfer})
    assert page.get_attribute("#cover-upload", "data-drag-over") is None
    page.dispatch_event("#cover-upload", "dragenter", {"dataTransfer": transfer})
    page.dispatch_event("#cover-upload", "drop", {"dataTransfer": transfer})
    page.wait_for_selector("#crop-dialog", state="visible", timeout=30_000)
    assert page.get_attribute("#cover-upload", "data-drag-over") is None
    assert "cover" in page.text_content("#crop-dialog")
    page.keyboard.press("Escape")
    page.wait_for_selector("#crop-dialog", state="detached")
    context.close()


def test_an_image_pasted_on_the_focused_slot_is_framed_and_saved(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=running_app.frontend)
    page = context.new_page()
    sign_up(page, running_app, new_username("paste"))
    png = tmp_path / "copied.png"
    Image.new("RGB", (800, 800), BLUE).save(png)
    # Copy an image (as a screenshot tool would), focus the avatar, press Ctrl+V.
    page.evaluate(
        """async (bytes) => { const blob = new Blob([new Uint8Array(bytes)], {type: 'image/png'});
        await navigator.clipboard.write([new ClipboardItem({'image/png': blob})]); }""",
        list(png.read_bytes()),
    )
    page.focus("#avatar-upload button")
    page.keyboard.press("Control+V")
    page.wait_for_selector("#crop-dialog", state="visible", timeout=30_000)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    saved = decode(page.get_attribute("#avatar-image", "src"))
    assert saved.size == (400, 400) and nearest(main_colour(saved)) == "blue"
    context.close()


@pytest.fixture(scope="module")
def camera_browser(browser):
    """Chromium with its fake camera, allowed without asking."""
    from .conftest import chromium_path

    launched = browser.browser_type.launch(
        executable_path=chromium_path(),
        headless=True,
        args=[
            "--no-sandbox",
            "--disable-gpu",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    )
    yield launched
    launched.close()


def test_a_photo_taken_with_the_camera_is_framed_and_saved(running_app, camera_browser):
    context = camera_browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["camera"], origin=running_app.frontend)
    page = context.new_page()
    sign_up(page, running_app, new_username("camera"))
    page.click("#avatar-camera")
    page.wait_for_selector("#camera-dialog", state="visible")
    page.wait_for_function(
        "() => { const v = document.getElementById('camera-video'); return !!v && v.videoWidth > 0; }",
        timeout=30_000,
    )
    page.click("#camera-capture")
    page.wait_for_selector("#camera-retake", state="visible")
    page.click("#camera-retake")
    page.wait_for_selector("#camera-capture", state="visible")
    page.click("#camera-capture")
    page.click("#camera-use")
    page.wait_for_selector("#camera-dialog", state="detached")
    page.wait_for_selector("#crop-dialog", state="visible", timeout=30_000)
    width = page.evaluate("() => document.querySelector('#crop-dialog img').naturalWidth")
    assert width > 0
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    assert decode(page.get_attribute("#avatar-image", "src")).size == (400, 400)
    # The camera is off once the photo is used.
    assert page.evaluate("() => !document.getElementById('camera-video')")
    context.close()


def heic_photo(path: Path) -> Path:
    """A real HEIC (HEVC-coded, as a phone writes it) of a real photo: scikit-image's astronaut."""
    import pillow_heif
    from skimage import data as samples

    pillow_heif.register_heif_opener()
    # The astronaut's left half red-tinted, so a frame on that half is told from one on the right.
    image = Image.fromarray(samples.astronaut()).resize((1200, 600))
    image.paste(RED, (0, 0, 600, 600))
    image.save(path, "HEIF", quality=80)
    return path


def test_a_heic_photo_from_a_phone_is_framed_on_the_servers_copy_and_saved(running_app, browser, tmp_path):
    heic = heic_photo(tmp_path / "IMG_0042.HEIC")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("heic"))
    bodies = watch_previews(page, "avatar-image")
    # Chromium cannot show HEIC: it is stored first and the dialog frames the server's JPEG of it.
    choose(page, "avatar", heic)
    shown = page.get_attribute("#crop-dialog img", "src")
    assert "output=format:jpg" in shown
    assert page.evaluate("() => document.querySelector('#crop-dialog img').naturalWidth") == 1200
    for _ in range(40):
        page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    page.wait_for_selector("#crop-dialog", state="detached", timeout=30_000)
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    final = decode(page.get_attribute("#avatar-image", "src"))
    assert final.format == "JPEG" and final.size == (400, 400) and nearest(main_colour(final)) == "red"
    # Chromium has no copy of its own to show: the slot showed the server's preview, a JPEG.
    assert set(previews_shown(page, "avatar-image", bodies)) == {"red"}
    # The stored HEIC is gone once its frame is cut.
    assert file_status(running_app, handle_of(shown)) == 404
    context.close()


def test_cancelling_a_heic_deletes_what_was_stored(running_app, browser, tmp_path):
    heic = heic_photo(tmp_path / "IMG_0043.HEIC")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("heicx"))
    before = page.get_attribute("#avatar-image", "src")
    choose(page, "avatar", heic)
    stored = handle_of(page.get_attribute("#crop-dialog img", "src"))
    assert file_status(running_app, stored) == 200
    page.keyboard.press("Escape")
    # The dialog closes once the cancel is handled, the stored file deleted by then.
    page.wait_for_selector("#crop-dialog", state="detached")
    assert page.get_attribute("#avatar-image", "src") == before
    assert file_status(running_app, stored) == 404
    context.close()
