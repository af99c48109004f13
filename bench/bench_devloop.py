"""The developer's loop, timed: ``make run`` → page answering, an edited component → change visible,
a job started just before a hot reload → still finished.

``make run`` is started as a developer starts it (everything installed already: make is told
the install stamp is current, so the benchmark never reinstalls), on free ports (``REFLEX_FRONTEND_PORT``,
``REFLEX_BACKEND_PORT``) with a fresh data directory. Headless Chromium keeps the sign-in page open.

* **start**: from ``make run`` to the backend's ``/ping`` and the frontend answering, and to
  the sign-in form being visible in Chromium (its first compile of the page included);
* **reload**: a component's text is edited on disk (the sign-in page's subtitle); timed from the
  write to the new text visible in the open page, with no reload by hand; ``--edits`` times,
  alternating edit and restore;
* **job across a hot reload**: a 24 MP JPEG is dropped on the avatar; as soon as its preview
  shows (the workflow started), a Python module of the app is edited, which restarts the
  backend; the job must still finish: the page shows the final photo, and the job's row says
  ``finished``.

Every edited file is restored at the end (the tree is left as it was found).

    .venv/bin/python bench/bench_devloop.py --images DIR [--edits 4]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from app_process import ROOT, chromium_path, running_app, wait_until_answering
from images import generate

EDITED = ROOT / "dashboard" / "pages" / "auth.py"
SUBTITLE = "Sign in to edit your profile."
#: A module the backend imports; a comment appended to it restarts the backend.
RELOADED = ROOT / "dashboard" / "slot_phase.py"
PASSWORD = "analytical engine 1843"


def _text_visible(page: Any, text: str, timeout_ms: int = 120_000) -> None:
    page.wait_for_function(
        "(t) => document.body && document.body.innerText.includes(t)", arg=text, timeout=timeout_ms
    )


def _edit_and_wait(page: Any, original: str, new_subtitle: str) -> float:
    started = time.monotonic()
    EDITED.write_text(original.replace(SUBTITLE, new_subtitle))
    _text_visible(page, new_subtitle)
    return time.monotonic() - started


def _job_across_reload(page: Any, frontend: str, data_dir: Path, image: Path) -> dict[str, Any]:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(f"{frontend}/signup", timeout=300_000)
    page.wait_for_selector("#signup-username", timeout=300_000)
    page.fill("#signup-username", f"dev-{uuid.uuid4().hex[:8]}")
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_url("**/profile", timeout=120_000)
    page.wait_for_selector("#avatar-upload input[type=file]", state="attached", timeout=120_000)
    page.locator("#avatar-upload input[type=file]").set_input_files(str(image))
    page.wait_for_function(
        "() => (document.getElementById('avatar-image')?.getAttribute('src') || '').includes('resize=')",
        timeout=120_000,
    )
    original = RELOADED.read_text()
    started = time.monotonic()
    RELOADED.write_text(original + f"\n# touched by bench_devloop {uuid.uuid4().hex[:6]}\n")
    try:
        page.wait_for_function(
            "() => { const src = document.getElementById('avatar-image')?.getAttribute('src') || '';"
            " return src !== '' && !src.includes('resize='); }",
            timeout=180_000,
        )
        shown = True
    except PlaywrightTimeout:  # reported as not shown; the job's row tells the rest
        shown = False
    seconds = time.monotonic() - started
    RELOADED.write_text(original)
    with sqlite3.connect(data_dir / "dashboard.db") as db:
        status = db.execute("SELECT status FROM photojob ORDER BY id DESC LIMIT 1").fetchone()
    return {"final_shown": shown, "job_status": status[0] if status else None, "seconds": seconds}


def measure(image: Path, edits: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("no Chromium on this machine (scripts/ensure-chromium.sh installs Debian's)")
    command = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]
    original = EDITED.read_text()
    with running_app(command, wait=False) as app, sync_playwright() as pw:
        backend_s = wait_until_answering(app, f"{app.backend}/ping")
        frontend_s = wait_until_answering(app, app.frontend)
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{app.frontend}/login", timeout=300_000)
            page.wait_for_selector("#login-username", timeout=300_000)
            form_s = time.monotonic() - app.started_s
            _text_visible(page, SUBTITLE)
            reloads = []
            try:
                for number in range(edits):
                    marker = f"{SUBTITLE} (edit {number} {uuid.uuid4().hex[:4]})"
                    reloads.append(_edit_and_wait(page, original, marker))
            finally:
                EDITED.write_text(original)
            _text_visible(page, SUBTITLE)
            job = _job_across_reload(browser.new_page(), app.frontend, app.data_dir, image)
        finally:
            browser.close()
    return {
        "start": {"backend_s": backend_s, "frontend_s": frontend_s, "sign_in_form_s": form_s},
        "reload_s": {"samples": reloads, "p50": statistics.median(reloads), "max": max(reloads)},
        "job_across_reload": job,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--edits", type=int, default=4, help="timed component edits")
    args = parser.parse_args()
    print(json.dumps(measure(generate(args.images)["jpeg-24mp"], args.edits)))


if __name__ == "__main__":
    main()
