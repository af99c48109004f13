"""axe-core on every page at 1280x800 and 375x812: no serious or critical violation; no page wider than its window.

axe-core comes inside the ``axe-playwright-python`` wheel (``axe.min.js``), injected into
each page by Playwright: nothing is fetched at run time. Violations inside the photo slots
(the avatar's and cover's dropzones, pictures and job panels) are reported by a test of
their own, so the rest of the app is held to the rule on its own.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dashboard.local_filestack.workflows.model.shipped import PROFILE_PICTURE_ID as PROFILE_WORKFLOW_ID

from .conftest import A11Y_ADMIN, ARTIFACTS, TOUCH_ADMIN
from .steps import new_username, photo, sign_up, upload_and_follow

pytestmark = pytest.mark.browser

WIDTHS = {1280: {"width": 1280, "height": 800}, 375: {"width": 375, "height": 812}}
BLOCKING = ("serious", "critical")

#: Where the photo slots are drawn: their dropzones, their pictures and their job panels.
IN_PHOTO_SLOT = """
(targets) => targets.map((target) => {
  const el = document.querySelector(target);
  if (!el) return false;
  if (el.closest('#avatar-upload, #cover-upload, #avatar-image, #cover-image')) return true;
  return [...document.querySelectorAll('#avatar-status, #cover-status')]
    .some((status) => status.parentElement && status.parentElement.contains(el));
})
"""


@dataclass
class Finding:
    """One serious or critical violation of one rule on one page, with the elements it names."""

    page: str
    width: int
    rule: str
    impact: str
    help: str
    nodes: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        shown = "\n      ".join(self.nodes[:6])
        return f"{self.page} at {self.width}px: {self.rule} ({self.impact}) {self.help}\n      {shown}"


@dataclass
class Scan:
    outside: list[Finding] = field(default_factory=list)
    inside: list[Finding] = field(default_factory=list)
    too_wide: list[str] = field(default_factory=list)
    pages: list[str] = field(default_factory=list)


def _job_uuid(running_app: Any, username: str) -> str:
    database = Path(running_app.log).parent / "dashboard.db"
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT j.jobid FROM photojob j JOIN account a ON a.id = j.owner_id WHERE a.username = ? "
            "AND j.jobid != '' ORDER BY j.id DESC",
            (username,),
        ).fetchone()
    assert row is not None, "the photo job was not recorded"
    return str(row[0])


def _scan_page(page: Any, label: str, width: int, scan: Scan) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    for violation in results["violations"]:
        if violation.get("impact") not in BLOCKING:
            continue
        nodes = violation["nodes"]
        flags = page.evaluate(IN_PHOTO_SLOT, [node["target"][-1] for node in nodes])
        for inside, group in ((False, scan.outside), (True, scan.inside)):
            chosen = [node for node, flag in zip(nodes, flags) if flag is inside]
            if chosen:
                group.append(
                    Finding(
                        page=label,
                        width=width,
                        rule=violation["id"],
                        impact=violation["impact"],
                        help=violation["help"],
                        nodes=[f"{node['target'][-1]}: {node['html'][:160]}" for node in chosen],
                    )
                )
    scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
    if scroll_width > width:
        scan.too_wide.append(f"{label} is {scroll_width}px wide in a {width}px window")
    scan.pages.append(f"{label}@{width}")


@pytest.fixture(scope="module")
def scan(running_app, browser, tmp_path_factory) -> Scan:
    """Every page of the app, at both widths, signed in (with a processed photo) or signed out as it needs."""
    signed_in = browser.new_context(viewport=WIDTHS[1280])
    page = signed_in.new_page()
    username = A11Y_ADMIN  # the studio's pages are scanned as an admin sees them
    sign_up(page, running_app, username)
    picture = photo(tmp_path_factory.mktemp("axe") / "me.jpg", (900, 700), "#335577")
    upload_and_follow(page, running_app, "avatar", picture, (400, 400))
    page.click("#bio-edit")
    page.fill("#bio-input", "Checks that every page can be used by everyone.")
    page.click("#bio-save")
    page.wait_for_selector("#profile-bio")
    job_uuid = _job_uuid(running_app, username)
    signed_out = browser.new_context(viewport=WIDTHS[1280])
    visitor = signed_out.new_page()

    pages = [
        (visitor, "/", "#login-username", "home"),
        (visitor, "/signup", "#signup-username", "signup"),
        (visitor, "/login", "#login-username", "login"),
        (page, "/profile", "#activity-list img", "profile"),
        (page, "/settings", "#password-form", "settings"),
        (page, f"/u/{username}", "#profile-bio", "public-own"),
        (visitor, f"/u/{username}", "#profile-bio", "public"),
        (visitor, "/u/nobody-here-at-all", "#not-found", "public-404"),
        (page, "/workflows", "#workflow-list", "workflows"),
        (page, f"/workflows/{PROFILE_WORKFLOW_ID}", "#test-run", "workflow"),
        (page, "/jobs", "#jobs-table", "jobs"),
        (page, f"/jobs/{job_uuid}", "#job-state", "job"),
    ]
    result = Scan()
    ARTIFACTS.mkdir(exist_ok=True)
    for width, viewport in WIDTHS.items():
        for tab in (page, visitor):
            tab.set_viewport_size(viewport)
        for tab, path, ready, name in pages:
            tab.goto(f"{running_app.frontend}{path}")
            tab.wait_for_selector(ready, timeout=60_000)
            who = "signed in" if tab is page else "signed out"
            _scan_page(tab, f"{path} ({who})", width, result)
            tab.screenshot(path=str(ARTIFACTS / f"page-{name}-{width}.png"), full_page=True)
    signed_in.close()
    signed_out.close()
    report = [
        "outside the photo slots:",
        *map(str, result.outside),
        "",
        "inside the photo slots:",
        *map(str, result.inside),
    ]
    (ARTIFACTS / "axe-report.txt").write_text("\n".join(report) + "\n")
    return result


def test_every_page_was_scanned_at_both_widths(scan: Scan) -> None:
    assert len(scan.pages) == 2 * 12, scan.pages


def test_no_serious_or_critical_violation_outside_the_photo_slots(scan: Scan) -> None:
    assert not scan.outside, "axe-core found:\n" + "\n".join(str(finding) for finding in scan.outside)


def test_no_page_is_wider_than_its_window(scan: Scan) -> None:
    assert not scan.too_wide, "\n".join(scan.too_wide)


def test_no_serious_or_critical_violation_inside_the_photo_slots(scan: Scan) -> None:
    assert not scan.inside, "axe-core found in the photo slots:\n" + "\n".join(str(f) for f in scan.inside)


def test_touch_screens_are_never_told_to_drop_a_photo_outside_the_photo_slots(running_app, browser) -> None:
    context = browser.new_context(viewport=WIDTHS[375], has_touch=True, is_mobile=True)
    page = context.new_page()
    sign_up(page, running_app, TOUCH_ADMIN)  # the studio's test-run panel is for admins
    assert page.evaluate("() => matchMedia('(pointer: coarse)').matches")
    page.goto(f"{running_app.frontend}/workflows/{PROFILE_WORKFLOW_ID}")
    page.wait_for_selector("#run-upload-button")
    panel = page.inner_text("#test-run")
    assert "Choose a photo" in panel and "drop" not in panel.lower(), panel
    context.close()


def test_touch_screens_are_never_told_to_drop_a_photo_in_the_photo_slots(running_app, browser) -> None:
    context = browser.new_context(viewport=WIDTHS[375], has_touch=True, is_mobile=True)
    page = context.new_page()
    sign_up(page, running_app, new_username("touch"))
    text = page.inner_text("main")
    context.close()
    assert "drop" not in text.lower(), text
