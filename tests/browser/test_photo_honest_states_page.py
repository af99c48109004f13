"""Every photo action ends in a state the page states truthfully, tried as a person would.

Uploads that must still be running when the person acts again are slowed down with Chromium's
DevTools protocol (``Network.emulateNetworkConditions``), never with sleeps.
"""

from __future__ import annotations

import io
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .conftest import ARTIFACTS
from .steps import (
    RECORD_STATUS,
    decode,
    handle_of,
    new_username,
    photo,
    save_framed,
    sign_up,
    upload_and_follow,
    wait_for_photo,
)

pytestmark = pytest.mark.browser

#: Upload speed while an upload must still be running when the person acts again.
SLOW_UPLOAD_BYTES_S = 256 * 1024


def noisy_photo(path: Path, size: tuple[int, int], rgb: tuple[int, int, int]) -> Path:
    """A JPEG of one colour with noise (so it is large, and its colour survives processing)."""
    rng = random.Random(hash(rgb))
    image = Image.new("RGB", size, rgb)
    pixels = image.load()
    for _ in range(size[0] * size[1] // 6):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        pixels[x, y] = tuple(max(0, min(255, c + rng.randint(-60, 60))) for c in rgb)
    image.save(path, "JPEG", quality=95)
    return path


def dominant(url: str) -> str:
    """``red``, ``green`` or ``blue``: the strongest channel of the image at ``url``."""
    image = decode(url).convert("RGB").resize((1, 1))
    red, green, blue = image.getpixel((0, 0))
    return max((red, "red"), (green, "green"), (blue, "blue"))[1]


def slow_uploads(context: Any, page: Any) -> Any:
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": SLOW_UPLOAD_BYTES_S},
    )
    return cdp


def fast_uploads(cdp: Any) -> None:
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )


def save_framed_if_shown(page: Any) -> None:
    """A damaged JPEG may still be shown by the browser (then it is framed) or not (then it is sent
    to be framed on the server's copy, which refuses it): save the frame when the dialog opens."""
    page.wait_for_function(
        "() => !!document.getElementById('crop-confirm') || [...document.querySelectorAll('[id$=-status]')]"
        ".some((el) => /could not|not an image|not a photo/.test(el.textContent))",
        timeout=60_000,
    )
    if page.locator("#crop-confirm").count():
        save_framed(page)


def _status(page: Any, slot: str) -> str:
    return page.inner_text(f"#{slot}-status")


def _wait_seen(page: Any, slot: str, words: str, timeout_ms: int = 60_000) -> None:
    """Wait until the slot's status has said ``words`` since RECORD_STATUS began recording it (a job
    that the service finishes at once may show "Processing…" for less than a frame)."""
    page.wait_for_function(
        "([id, words]) => window.__statuses[id].some((text) => text.includes(words))",
        arg=[f"{slot}-status", words],
        timeout=timeout_ms,
    )


def _wait_status(page: Any, slot: str, words: str, timeout_ms: int = 60_000) -> None:
    page.wait_for_function(
        "([id, words]) => document.getElementById(id).textContent.includes(words)",
        arg=[f"{slot}-status", words],
        timeout=timeout_ms,
    )


def test_the_last_photo_chosen_wins(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("lastwins"))
    first = noisy_photo(tmp_path / "first.jpg", (1600, 1200), (200, 30, 30))
    second = noisy_photo(tmp_path / "second.jpg", (1600, 1200), (30, 30, 200))
    assert os.path.getsize(first) > 4 * SLOW_UPLOAD_BYTES_S * 0.15
    cdp = slow_uploads(context, page)
    page.evaluate(RECORD_STATUS, "avatar-status")
    logs: list[str] = []
    page.on("console", lambda message: logs.append(message.text))
    files = page.locator("#avatar-upload input[type=file]")
    files.set_input_files(str(first))
    save_framed(page)
    # The first is on its way, with a visible Cancel; the person changes their mind 150 ms later.
    page.wait_for_selector("#avatar-cancel")
    page.screenshot(path=str(ARTIFACTS / "photo-uploading-1280.png"), full_page=True)
    page.wait_for_timeout(150)
    files.set_input_files(str(second))
    save_framed(page)
    fast_uploads(cdp)
    try:
        _wait_status(page, "avatar", "Saved", 90_000)
    except Exception as err:
        seen = page.evaluate("() => window.__statuses['avatar-status']")
        raise AssertionError(f"statuses {seen}, browser console {logs}") from err
    final = page.get_attribute("#avatar-image", "src")
    assert dominant(final) == "blue", final
    # Nothing else ends up saved later: after a reload the page still shows the second photo.
    page.reload()
    wait_for_photo(page, "avatar-image", handle_of(final))
    context.close()


def test_a_second_photo_while_the_first_is_processing_replaces_it(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("replaced"))
    files = page.locator("#cover-upload input[type=file]")
    page.evaluate(RECORD_STATUS, "cover-status")
    files.set_input_files(str(noisy_photo(tmp_path / "a.jpg", (1500, 500), (30, 160, 30))))
    save_framed(page)
    _wait_seen(page, "cover", "Processing")
    # The preview shows while it processes (unless the job has already ended).
    page.wait_for_function(
        "() => { const img = document.getElementById('cover-image');"
        " return !!img && img.complete && img.naturalWidth > 0; }"
    )
    page.screenshot(path=str(ARTIFACTS / "photo-processing-1280.png"), full_page=True)
    page.evaluate("() => { window.__statuses['cover-status'].length = 0; }")
    files.set_input_files(str(noisy_photo(tmp_path / "b.jpg", (1500, 500), (30, 30, 200))))
    save_framed(page)
    # The second photo is processed (its own "Processing…"), then saved.
    try:
        page.wait_for_function(
            "() => { const seen = window.__statuses['cover-status'];"
            " const processing = seen.findIndex((text) => text.includes('Processing'));"
            " return processing >= 0 && seen.slice(processing).some((text) => text.includes('Saved')); }",
            timeout=60_000,
        )
    except Exception as err:
        seen = page.evaluate("() => window.__statuses['cover-status']")
        raise AssertionError(f"statuses {seen}") from err
    _wait_status(page, "cover", "Saved")
    final = page.get_attribute("#cover-image", "src")
    assert dominant(final) == "blue"
    page.wait_for_selector("#undo-button")
    page.screenshot(path=str(ARTIFACTS / "photo-saved-1280.png"), full_page=True)
    # After a reload the page still shows that file (its URL is signed again, so compare files).
    page.reload()
    wait_for_photo(page, "cover-image", handle_of(final))
    context.close()


def test_a_huge_file_gets_a_size_message_and_the_page_keeps_its_connection(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sockets: list[Any] = []
    page.on("websocket", lambda socket: sockets.append(socket))
    sign_up(page, running_app, new_username("huge"))
    upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "me.jpg", (900, 700), "#335577"), (400, 400)
    )
    assert "Saved" in _status(page, "avatar")
    opened = len(sockets)
    huge = tmp_path / "huge.jpg"
    with huge.open("wb") as out:
        out.write(b"\xff\xd8\xff\xe0" + os.urandom(30 * 1024 * 1024))
    started = time.monotonic()
    page.locator("#cover-upload input[type=file]").set_input_files(str(huge))
    _wait_status(page, "cover", "the largest photo you can use is 25.0 MB", 30_000)
    elapsed = time.monotonic() - started
    (ARTIFACTS / "huge-file-refusal.json").write_text(json.dumps({"seconds_to_message": round(elapsed, 3)}))
    said = _status(page, "cover")
    assert said.startswith("huge.jpg is 30.0 MB"), said
    # The websocket was not dropped (no reconnect), and the other slot still says "Saved.".
    assert len(sockets) == opened and not sockets[-1].is_closed()
    assert "Saved" in _status(page, "avatar")
    assert page.get_by_text("Retry processing").count() == 0
    page.screenshot(path=str(ARTIFACTS / "photo-refused-1280.png"), full_page=True)
    context.close()


def test_refused_files_never_offer_retry(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("noretry"))
    upload_and_follow(
        page, running_app, "avatar", photo(tmp_path / "me.jpg", (900, 700), "#553355"), (400, 400)
    )
    files = page.locator("#avatar-upload input[type=file]")
    # Refused by the browser (its type) ...
    pdf = tmp_path / "cv.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 2000)
    files.set_input_files(str(pdf))
    _wait_status(page, "avatar", "cv.pdf is not a photo we can use")
    said = _status(page, "avatar")
    assert "image/" not in said and ".jpg" not in said, said
    assert page.get_by_text("Retry processing").count() == 0
    # ... and by the server (a text file named like a photo).
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is not a photo\n" * 20)
    files.set_input_files(str(fake))
    _wait_status(page, "avatar", "notes.jpg is not an image we can use")
    assert page.get_by_text("Retry processing").count() == 0
    page.click("#avatar-dismiss")
    page.wait_for_selector("#avatar-dismiss", state="detached")
    context.close()


def test_a_damaged_jpeg_is_described_plainly_without_retry_and_can_be_dismissed(
    running_app, browser, tmp_path
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("damaged"))
    whole = io.BytesIO()
    noisy_photo(tmp_path / "whole.jpg", (1200, 900), (120, 90, 60))
    data = (tmp_path / "whole.jpg").read_bytes()
    whole.write(data[: len(data) // 4])  # cut: the header reads, the pixels do not
    damaged = tmp_path / "holiday.jpg"
    damaged.write_bytes(whole.getvalue())
    page.locator("#avatar-upload input[type=file]").set_input_files(str(damaged))
    save_framed_if_shown(page)
    _wait_status(page, "avatar", "could not be read", 90_000)
    said = _status(page, "avatar")
    for developer_word in ("task", "image/jpeg", "truncated", "'avatar'"):
        assert developer_word not in said, said
    assert page.get_by_text("Retry processing").count() == 0
    assert page.get_attribute("#avatar-image", "src") is None  # no photo before, none now
    page.screenshot(path=str(ARTIFACTS / "photo-failed-1280.png"), full_page=True)
    page.click("#avatar-dismiss")
    page.wait_for_function(
        "() => !document.getElementById('avatar-status').textContent.includes('could not')"
    )
    page.reload()
    page.wait_for_selector("#avatar-status")
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Choose a photo')"
    )
    context.close()


def test_leaving_the_page_while_a_photo_uploads_asks_first(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    asked: list[str] = []

    def answer(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.dismiss()  # stay

    # Listening from the start: Playwright does not wait for the browser to confirm a new
    # listener, and a dialog raised before it does is dismissed unseen.
    page.on("dialog", answer)
    sign_up(page, running_app, new_username("leave"))
    page.click("#profile-name")  # a person has interacted with the page
    slow_uploads(context, page)
    page.locator("#cover-upload input[type=file]").set_input_files(
        str(noisy_photo(tmp_path / "big.jpg", (1500, 500), (30, 30, 200)))
    )
    save_framed(page)
    page.wait_for_selector("#cover-cancel")
    assert asked == []
    page.close(run_before_unload=True)
    if not asked:
        page.wait_for_event("dialog", timeout=10_000)
    assert asked == ["beforeunload"]
    # Staying is not checked further: Reflex's page code disconnects the websocket on
    # beforeunload, and the reconnection reloads the slots (README, "Known limits").
    context.close()


def test_after_leaving_during_an_upload_the_page_says_it_was_not_saved(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    asked: list[str] = []

    def leave(dialog: Any) -> None:
        asked.append(dialog.type)
        dialog.accept()  # leave anyway

    page.on("dialog", leave)  # from the start, as above
    sign_up(page, running_app, new_username("reload"))
    page.click("#profile-name")
    slow_uploads(context, page)
    page.locator("#cover-upload input[type=file]").set_input_files(
        str(noisy_photo(tmp_path / "big.jpg", (1500, 500), (200, 30, 30)))
    )
    save_framed(page)
    page.wait_for_selector("#cover-cancel")
    page.screenshot(path=str(ARTIFACTS / "photo-uploading-375.png"), full_page=True)
    assert asked == []
    page.reload()
    notice = page.wait_for_selector("#upload-interrupted", timeout=60_000)
    assert asked == ["beforeunload"]
    assert "cover photo you were uploading was not saved" in notice.inner_text()
    page.click("#interrupted-dismiss")
    page.wait_for_selector("#upload-interrupted", state="detached")
    page.reload()
    page.wait_for_selector("#cover-status")
    assert page.locator("#upload-interrupted").count() == 0
    context.close()


def test_a_photo_is_chosen_with_the_keyboard_alone(running_app, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Playwright turns on its interception of file choosers when the first listener is added,
    # without waiting for the browser to confirm; a listener added only right before Enter can
    # lose the chooser that Enter opens. Added now, it is in force long before.
    choosers: list[Any] = []
    page.on("filechooser", lambda chooser: choosers.append(chooser))
    sign_up(page, running_app, new_username("keys"))
    # Tab to the profile picture's button, as a keyboard user does.
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(
            "() => document.activeElement.tagName === 'BUTTON'"
            " && document.activeElement.getAttribute('aria-label') === 'Change profile picture'"
        ):
            break
    else:
        raise AssertionError("Tab never reaches the profile picture")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Enter")
    chooser.value.set_files(str(photo(tmp_path / "me.jpg", (800, 800), "#224466")))
    assert len(choosers) == 1, "one Enter opens one file chooser"
    # The crop dialog has the keyboard: Enter saves the frame as it opens.
    page.wait_for_selector("#crop-dialog", state="visible")
    page.keyboard.press("Enter")
    _wait_status(page, "avatar", "Saved", 90_000)
    assert decode(page.get_attribute("#avatar-image", "src")).size == (400, 400)
    context.close()


def test_each_state_on_a_phone_is_stated_and_fits_the_screen(running_app, browser, tmp_path):
    """Processing, saved, refused and failed at 375 px on a touch screen, each photographed for review."""
    context = browser.new_context(viewport={"width": 375, "height": 812}, has_touch=True, is_mobile=True)
    page = context.new_page()
    sign_up(page, running_app, new_username("phone"))
    assert "drop" not in _status(page, "avatar").lower()
    files = page.locator("#avatar-upload input[type=file]")

    def shot(state: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"photo-{state}-375.png"), full_page=True)
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 375, f"{state}: the page is {width}px wide"

    page.evaluate(RECORD_STATUS, "avatar-status")
    files.set_input_files(str(photo(tmp_path / "me.jpg", (900, 900), "#446688")))
    save_framed(page)
    _wait_seen(page, "avatar", "Processing")
    shot("processing")
    _wait_status(page, "avatar", "Saved", 90_000)
    page.wait_for_selector("#undo-button")
    shot("saved")
    pdf = tmp_path / "letter.pdf"
    pdf.write_bytes(b"%PDF-1.4\n" + b"0" * 500)
    files.set_input_files(str(pdf))
    _wait_status(page, "avatar", "not a photo we can use")
    shot("refused")
    data = photo(tmp_path / "whole.jpg", (900, 900), "#664422").read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 4])
    files.set_input_files(str(tmp_path / "cut.jpg"))
    save_framed_if_shown(page)
    _wait_status(page, "avatar", "could not be read", 90_000)
    assert "Your previous photo is kept." in _status(page, "avatar")
    assert page.get_by_text("Retry processing").count() == 0
    shot("failed")
    context.close()


def test_a_photo_chosen_while_undo_is_offered_is_saved(running_app, browser, tmp_path):
    """Right after "Saved." (the Undo toast still up) a new photo is taken like any other."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_up(page, running_app, new_username("again"))
    files = page.locator("#avatar-upload input[type=file]")
    files.set_input_files(str(noisy_photo(tmp_path / "green.jpg", (600, 600), (30, 200, 30))))
    save_framed(page)
    _wait_status(page, "avatar", "Saved", 90_000)
    page.wait_for_selector("#undo-button", state="visible")
    page.wait_for_function("() => !!document.getElementById('avatar-image')?.src")
    assert dominant(page.get_attribute("#avatar-image", "src")) == "green"

    page.evaluate(RECORD_STATUS, "avatar-status")
    files.set_input_files(str(noisy_photo(tmp_path / "blue.jpg", (600, 600), (30, 30, 200))))
    save_framed(page)
    # Its own "Processing…" (however briefly shown), then "Saved." again.
    page.wait_for_function(
        "() => { const seen = window.__statuses['avatar-status'];"
        " const processing = seen.findIndex((text) => text.includes('Processing'));"
        " return processing >= 0 && seen.slice(processing).some((text) => text.includes('Saved')); }",
        timeout=90_000,
    )
    assert dominant(page.get_attribute("#avatar-image", "src")) == "blue"
    context.close()
