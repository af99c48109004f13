"""No secret reaches the browser: not in the page, its scripts, its storage, nor the state it is sent."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from .steps import new_username, save_framed, sign_up

pytestmark = pytest.mark.browser


def _app_secret(running_app: Any) -> str:
    """The secret the app's embedded service generated (``DATA_DIR/credentials.json``)."""
    data_dir = Path(running_app.log).parent / "filestack"
    secret: str = json.loads((data_dir / "credentials.json").read_text())["app_secret"]
    assert len(secret) >= 32
    return secret


def _leaks(text: str, secret: str) -> bool:
    """The secret, or a long enough piece of it to matter, appears in ``text``."""
    return secret in text or secret[:16] in text or secret[-16:] in text


def test_the_app_secret_is_nowhere_in_the_page_its_scripts_or_its_state(running_app, browser, tmp_path):
    secret = _app_secret(running_app)
    frames: list[str] = []
    responses: list[Any] = []
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def on_websocket(socket: Any) -> None:
        socket.on(
            "framereceived",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            ),
        )
        socket.on(
            "framesent",
            lambda payload: frames.append(
                payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
            ),
        )

    page.on("websocket", on_websocket)
    page.on("response", lambda response: responses.append(response))
    sign_up(page, running_app, new_username("sec"))
    page.wait_for_selector("#avatar-image", timeout=120_000)

    # Drive the state through an upload and its workflow, so signed URLs and job updates flow too.
    photo = tmp_path / "me.jpg"
    Image.new("RGB", (900, 700), "#2266aa").save(photo, "JPEG")
    page.locator("#avatar-upload input[type=file]").set_input_files(str(photo))
    save_framed(page)
    page.wait_for_function(
        "() => document.getElementById('avatar-status').textContent.includes('Saved')", timeout=90_000
    )
    page.wait_for_load_state("networkidle")

    leaked_frames = [frame[:200] for frame in frames if _leaks(frame, secret)]
    assert not leaked_frames, leaked_frames
    assert not _leaks(page.content(), secret), "the rendered page contains the app secret"

    # Everything the browser received over HTTP: the page, its scripts, the upload's streamed state.
    bodies: list[str] = []
    for response in responses:
        try:
            body = response.body()
        except PlaywrightError:  # redirects and aborted requests have no body to read
            continue
        bodies.append(body.decode("utf-8", "replace"))
        assert not _leaks(bodies[-1], secret), f"{response.url} contains the app secret"
        assert not any(_leaks(value, secret) for value in response.headers.values()), response.url
    scripts = [r for r in responses if r.request.resource_type == "script"]
    assert len(scripts) >= 3, "the page's scripts were not observed"

    # The inspection did see the state: the final avatar's URL travelled in a frame or a response.
    final_src = page.get_attribute("#avatar-image", "src") or ""
    assert "/cdn/" in final_src
    handle = final_src.rsplit("/", 1)[-1]
    assert any(handle in text for text in frames + bodies), "the state updates were not observed"

    storage = page.evaluate(
        "() => JSON.stringify("
        "[Object.entries(localStorage), Object.entries(sessionStorage), document.cookie])"
    )
    assert not _leaks(storage, secret)
    assert not any(_leaks(cookie["value"], secret) for cookie in page.context.cookies())
    page.close()
