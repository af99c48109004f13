"""What a person sees, timed in Chromium: drop a JPEG on the avatar → preview visible → final photo visible.

The app runs as ``reflex run`` (dev mode, as ``make run`` starts it) on loopback with a fresh
data directory; headless Debian Chromium is driven by Playwright. One account signs up, then
for each input (a 12 MP and a 24 MP JPEG from ``bench/images.py``) one warm-up drop and
``--runs`` timed drops. In the page, times are read from ``performance`` (epoch milliseconds):

* **drop**: the file input's ``change`` event (what a drop or a file pick sets off);
* **preview visible**: the ``load`` event of ``#avatar-image`` showing the ``resize=`` preview (or
  the final photo, when it replaced the preview before the preview had loaded: counted apart);
* **final visible**: the ``load`` event of ``#avatar-image`` showing the new final file;
* **push latency**: from the job's end as the service recorded it (``finished_at`` in the job
  store, the same clock) to the page setting the final photo's URL (and to it being loaded).

The anchor, measured in the same runs: the service's own part, the job's ``created_at`` →
``finished_at`` (what is left of drop → final is the upload, the page and the push).

    .venv/bin/python bench/bench_browser.py --images DIR [--runs 10]
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

from app_process import chromium_path, running_app
from images import generate

PASSWORD = "analytical engine 1843"
INPUTS = ("jpeg-12mp", "jpeg-24mp")

OBSERVE = """
() => {
  const now = () => performance.timeOrigin + performance.now();
  const current = document.getElementById('avatar-image');
  const t = window.__drop = {before: current ? (current.getAttribute('src') || '') : ''};
  t.onchange = (e) => {
    if (e.target && e.target.closest && e.target.closest('#avatar-upload')) t.drop = t.drop || now();
  };
  document.addEventListener('change', t.onchange, true);
  const classify = (el) => {
    const src = el.getAttribute('src') || '';
    if (!src) return null;
    if (src.includes('resize=')) return 'preview';
    return src !== t.before ? 'final' : null;
  };
  t.observer = new MutationObserver((records) => {
    for (const r of records) {
      const el = r.target;
      if (el.id !== 'avatar-image') continue;
      const kind = classify(el);
      if (kind && !t[kind + 'Src']) t[kind + 'Src'] = now();
    }
  });
  t.observer.observe(document.body, {subtree: true, attributes: true, attributeFilter: ['src'], childList: true});
  t.onload = (e) => {
    const el = e.target;
    if (!el || el.id !== 'avatar-image') return;
    const kind = classify(el);
    if (kind && !t[kind]) {
      t[kind] = now();
      if (!t[kind + 'Src']) t[kind + 'Src'] = t[kind];
    }
  };
  document.addEventListener('load', t.onload, true);
}
"""

COLLECT = """
() => {
  const t = window.__drop;
  t.observer.disconnect();
  document.removeEventListener('load', t.onload, true);
  document.removeEventListener('change', t.onchange, true);
  return {drop: t.drop, previewSrc: t.previewSrc, preview: t.preview, finalSrc: t.finalSrc, final: t.final};
}
"""


def _pct(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": statistics.median(values),
        "p95": _pct(values, 0.95),
        "min": min(values),
        "max": max(values),
    }


def _job_times(data_dir: Path) -> tuple[int, int]:
    """The newest avatar job's ``created_at`` and ``finished_at`` in the service's job store (ns)."""
    with sqlite3.connect(data_dir / "dashboard.db") as app_db:
        (jobid,) = app_db.execute(
            "SELECT jobid FROM photojob WHERE slot = 'avatar' ORDER BY id DESC LIMIT 1"
        ).fetchone()
    with sqlite3.connect(data_dir / "filestack" / "workflows.db") as jobs_db:
        created, finished = jobs_db.execute(
            "SELECT created_at, finished_at FROM jobs WHERE uuid = ?", (jobid,)
        ).fetchone()
    return int(created), int(finished)


def _sign_up(page: Any, frontend: str) -> None:
    page.goto(f"{frontend}/signup", timeout=300_000)
    page.wait_for_selector("#signup-username", timeout=300_000)
    page.fill("#signup-username", f"bench-{uuid.uuid4().hex[:8]}")
    page.fill("#signup-password", PASSWORD)
    page.click("#signup-submit")
    page.wait_for_url("**/profile", timeout=120_000)
    page.wait_for_selector("#avatar-upload input[type=file]", state="attached", timeout=120_000)


class DropFailed(RuntimeError):
    """The page did not show the final photo in time."""


def _drop(page: Any, source: Path, data_dir: Path) -> dict[str, float]:
    # A new file each time: a browser sends no change event for the file it holds already.
    path = data_dir / f"{source.stem}-{uuid.uuid4().hex[:6]}{source.suffix}"
    path.write_bytes(source.read_bytes())
    page.evaluate(OBSERVE)
    try:
        with page.expect_response(lambda r: "/_upload" in r.url, timeout=120_000) as upload:
            page.locator("#avatar-upload input[type=file]").set_input_files(str(path))
        page.wait_for_function("() => !!window.__drop.final", timeout=120_000)
        page.wait_for_function(
            "() => (document.getElementById('avatar-status') || {}).textContent?.includes('Saved')",
            timeout=120_000,
        )
        # The page takes the next drop once this upload's request (streaming the handler's
        # updates) has closed; a person's next drop comes later than that.
        upload.value.finished()
        closed = page.evaluate("() => performance.timeOrigin + performance.now()")
    except Exception as exc:
        seen = page.evaluate(
            "() => ({t: Object.fromEntries(Object.entries(window.__drop).filter(([k, v]) => typeof v !== 'object'"
            " && typeof v !== 'function')), status: (document.getElementById('avatar-status') || {}).textContent,"
            " src: (document.getElementById('avatar-image') || {}).getAttribute?.('src')})"
        )
        page.screenshot(path=str(data_dir.parent / "bench-browser-failure.png"))
        raise DropFailed(f"{path.name}: {seen}") from exc
    t = page.evaluate(COLLECT)
    path.unlink()
    created_ns, finished_ns = _job_times(data_dir)
    finished_ms = finished_ns / 1e6
    return {
        # A fast job's final photo can replace the preview before the preview has loaded: the
        # first picture the person sees is then the final one.
        "preview_ms": (t["preview"] or t["final"]) - t["drop"],
        "preview_skipped": float(t["preview"] is None),
        "final_ms": t["final"] - t["drop"],
        "push_ms": t["finalSrc"] - finished_ms,
        "push_visible_ms": t["final"] - finished_ms,
        "service_job_ms": (finished_ns - created_ns) / 1e6,
        "drop_to_job_created_ms": created_ns / 1e6 - t["drop"],
        "final_to_upload_closed_ms": closed - t["final"],
    }


def measure(images: dict[str, Path], runs: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise SystemExit("no Chromium on this machine (scripts/ensure-chromium.sh installs Debian's)")
    started = time.monotonic()
    with running_app() as app, sync_playwright() as pw:
        app_ready_s = time.monotonic() - started
        browser = pw.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            _sign_up(page, app.frontend)
            results: dict[str, Any] = {}
            for name in INPUTS:
                _drop(page, images[name], app.data_dir)  # warm-up: compiles, first worker start
                samples = [_drop(page, images[name], app.data_dir) for _ in range(runs)]
                results[name] = {
                    "runs": runs,
                    "bytes": images[name].stat().st_size,
                    **{
                        key: _stats([s[key] for s in samples])
                        for key in samples[0]
                        if key != "preview_skipped"
                    },
                    "preview_skipped": int(sum(s["preview_skipped"] for s in samples)),
                }
        finally:
            browser.close()
    return {"app_ready_s": app_ready_s, "inputs": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=Path, required=True, help="directory of the generated inputs")
    parser.add_argument("--runs", type=int, default=10, help="timed drops per input")
    args = parser.parse_args()
    print(json.dumps(measure(generate(args.images), args.runs)))


if __name__ == "__main__":
    main()
