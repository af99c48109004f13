"""Editing the name, headline and bio as people do: in two windows at once, with the keyboard only, on a phone."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from .steps import new_username, sign_up

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}


def stored_profile(running_app: Any, username: str) -> tuple[str, str, str]:
    """(name, headline, bio) as the server stored them."""
    database = Path(running_app.log).parent / "dashboard.db"
    with sqlite3.connect(database) as db:
        row = db.execute(
            "SELECT p.name, p.headline, p.bio FROM profile p JOIN account a ON a.id = p.owner_id WHERE a.username = ?",
            (username,),
        ).fetchone()
    assert row is not None, f"no profile stored for {username}"
    return row


def shows(page: Any, element_id: str, text: str, timeout_ms: int = 30_000) -> None:
    """Wait until the element shows exactly ``text``."""
    page.wait_for_function(
        "([id, text]) => { const el = document.getElementById(id); return !!el && el.textContent === text; }",
        arg=[element_id, text],
        timeout=timeout_ms,
    )


def focused_id(page: Any) -> str:
    return page.evaluate("() => document.activeElement ? document.activeElement.id : ''")


def wait_focus(page: Any, element_id: str) -> None:
    page.wait_for_function(
        "(id) => document.activeElement && document.activeElement.id === id", arg=element_id, timeout=30_000
    )


def focus_is_visible(page: Any) -> bool:
    """The focused element draws a ring or an outline."""
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return (s.boxShadow && s.boxShadow !== 'none') || (s.outlineStyle !== 'none' && s.outlineWidth !== '0px'); }"
    )


def save_with_keyboard(page: Any, field: str, text: str) -> None:
    """Open a field's editor, replace its text and press Enter."""
    page.click(f"#{field}-edit")
    page.wait_for_selector(f"#{field}-input")
    page.fill(f"#{field}-input", text)
    page.press(f"#{field}-input", "Enter")


def test_two_windows_see_each_save_at_once_and_a_stale_save_asks(running_app, browser, artifacts):
    context = browser.new_context(viewport=DESKTOP)
    username = new_username("ada")
    first = context.new_page()
    sign_up(first, running_app, username)
    second = context.new_page()
    second.goto(f"{running_app.frontend}/profile")
    shows(second, "profile-name", username)
    visitor_context = browser.new_context(viewport=PHONE)
    visitor = visitor_context.new_page()
    visitor.goto(f"{running_app.frontend}/u/{username}")
    shows(visitor, "profile-name", username)
    for page in (second, visitor):
        page.evaluate("() => { window.__sameDocument = true; }")

    # One window saves: the other window and the public page show it without a reload.
    save_with_keyboard(first, "name", "Ada Lovelace")
    shows(first, "profile-name", "Ada Lovelace")
    shows(second, "profile-name", "Ada Lovelace")
    shows(visitor, "profile-name", "Ada Lovelace")
    save_with_keyboard(second, "headline", "Writes programs for engines")
    shows(first, "profile-headline", "Writes programs for engines")
    shows(visitor, "profile-headline", "Writes programs for engines")
    assert second.evaluate("() => window.__sameDocument") is True
    assert visitor.evaluate("() => window.__sameDocument") is True

    # The second window starts editing the name; meanwhile the first saves another one.
    second.click("#name-edit")
    second.fill("#name-input", "Augusta Ada King")
    save_with_keyboard(first, "name", "Countess of Lovelace")
    shows(first, "profile-name", "Countess of Lovelace")
    second.wait_for_selector("#name-changed", timeout=30_000)
    assert "Countess of Lovelace" in second.text_content("#name-changed")
    # Saving the stale edit does not overwrite the newer name: the page says so and asks.
    second.click("#name-save")
    second.wait_for_selector("#name-conflict", timeout=30_000)
    assert "Countess of Lovelace" in second.text_content("#name-conflict")
    assert second.input_value("#name-input") == "Augusta Ada King"
    assert stored_profile(running_app, username)[0] == "Countess of Lovelace"
    second.screenshot(path=str(artifacts / "profile-name-conflict-1280.png"), full_page=True)

    second.click("#name-keep-mine")
    for page in (second, first, visitor):
        shows(page, "profile-name", "Augusta Ada King")
    assert stored_profile(running_app, username) == ("Augusta Ada King", "Writes programs for engines", "")

    # Keeping theirs: the stale typing goes, the newer name stays.
    second.click("#name-edit")
    second.fill("#name-input", "Stale typing")
    save_with_keyboard(first, "name", "Ada")
    second.wait_for_selector("#name-changed", timeout=30_000)
    second.click("#name-save")
    second.wait_for_selector("#name-keep-theirs", timeout=30_000)
    second.click("#name-keep-theirs")
    shows(second, "profile-name", "Ada")
    assert stored_profile(running_app, username)[0] == "Ada"
    visitor.screenshot(path=str(artifacts / "public-profile-pushed-375.png"), full_page=True)
    visitor_context.close()
    context.close()


def test_keyboard_only_edits_with_escape_and_focus_back_on_edit(running_app, browser, artifacts):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    username = new_username("kbd")
    sign_up(page, running_app, username)

    # Tab from the top of the page to the name's Edit button; its focus is visible.
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused_id(page) == "name-edit":
            break
    assert focused_id(page) == "name-edit"
    assert focus_is_visible(page)

    # Enter opens the editor with the focus in it; Escape cancels and gives the focus back.
    page.keyboard.press("Enter")
    wait_focus(page, "name-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Not this one")
    page.keyboard.press("Escape")
    wait_focus(page, "name-edit")
    assert page.query_selector("#name-input") is None
    shows(page, "profile-name", username)

    page.keyboard.press("Enter")
    wait_focus(page, "name-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Grace Hopper")
    page.keyboard.press("Enter")
    shows(page, "profile-name", "Grace Hopper")
    wait_focus(page, "name-edit")
    assert stored_profile(running_app, username)[0] == "Grace Hopper"

    # The headline: the counter states the limit as typed; one character too many disables Save.
    page.keyboard.press("Tab")
    assert focused_id(page) == "headline-edit" and focus_is_visible(page)
    page.keyboard.press("Enter")
    wait_focus(page, "headline-input")
    page.keyboard.type("x" * 120)
    shows(page, "headline-count", "120 / 120")
    page.keyboard.type("y")
    shows(page, "headline-count", "121 / 120: 1 too many")
    assert page.is_disabled("#headline-save")
    page.keyboard.press("Enter")  # refused in the page as it would be on the server
    assert stored_profile(running_app, username)[1] == ""
    page.keyboard.press("Backspace")
    shows(page, "headline-count", "120 / 120")
    page.keyboard.press("Enter")
    shows(page, "profile-headline", "x" * 120)
    wait_focus(page, "headline-edit")
    assert stored_profile(running_app, username)[1] == "x" * 120

    # Opening another field's editor never drops typing in the first one.
    page.keyboard.press("Shift+Tab")
    wait_focus(page, "name-edit")
    page.keyboard.press("Enter")
    wait_focus(page, "name-input")
    page.keyboard.press("Control+A")
    page.keyboard.type("Half-typed name")
    page.keyboard.press("Tab")  # Save
    page.keyboard.press("Tab")  # Cancel
    page.keyboard.press("Tab")  # the headline's Edit
    assert focused_id(page) == "headline-edit"
    page.keyboard.press("Enter")
    wait_focus(page, "headline-input")
    assert page.input_value("#name-input") == "Half-typed name"
    page.keyboard.press("Escape")
    wait_focus(page, "headline-edit")
    assert page.input_value("#name-input") == "Half-typed name"
    page.click("#name-cancel")
    wait_focus(page, "name-edit")

    # No bio: no empty About card, an invitation instead; the bio saves with Ctrl+Enter.
    assert page.query_selector("#about-title") is None
    page.wait_for_selector("#bio-invitation")
    page.focus("#bio-edit")
    assert focus_is_visible(page)
    page.keyboard.press("Enter")
    wait_focus(page, "bio-input")
    page.keyboard.type("Wrote the first compiler.")
    page.keyboard.press("Enter")
    page.keyboard.type("Found a moth.")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#profile-bio")
    wait_focus(page, "bio-edit")
    assert stored_profile(running_app, username)[2] == "Wrote the first compiler.\nFound a moth."
    assert page.text_content("#about-title") == "About"
    page.screenshot(path=str(artifacts / "profile-keyboard-1280.png"), full_page=True)
    context.close()


def test_every_control_of_the_profile_page_is_reached_by_tab_with_visible_focus(running_app, browser):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_up(page, running_app, new_username("tabs"))
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    reached: list[str] = []
    unseen: list[str] = []
    for _ in range(80):
        page.keyboard.press("Tab")
        described = page.evaluate(
            "() => { const el = document.activeElement; if (!el || el === document.body) return '';"
            " return el.id || el.getAttribute('aria-label') || el.textContent.trim().slice(0, 30) || el.tagName; }"
        )
        if not described or described in reached:
            break
        reached.append(described)
        if not focus_is_visible(page):
            unseen.append(described)
    for expected in (
        "name-edit",
        "headline-edit",
        "bio-edit",
        "public-profile-link",
        "logout-button",
        "Refresh activity",
    ):
        assert expected in reached, f"{expected} is not reached by Tab: {reached}"
    assert not unseen, f"focus is not visible on: {unseen}"
    context.close()


LONG_URL = "https://example.com/" + "a-very-long-path-segment-without-any-space" * 8
LONG_WORD = "Supercalifragilisticexpialidocious" * 4


def test_long_words_and_urls_never_widen_the_page(running_app, browser, artifacts):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    username = new_username("long")
    sign_up(page, running_app, username)
    save_with_keyboard(page, "name", LONG_WORD[:80])
    shows(page, "profile-name", LONG_WORD[:80])
    save_with_keyboard(page, "headline", LONG_WORD[:120])
    shows(page, "profile-headline", LONG_WORD[:120])
    page.click("#bio-edit")
    page.fill("#bio-input", f"My page: {LONG_URL[:560]}")
    page.click("#bio-save")
    page.wait_for_selector("#profile-bio")

    for width, viewport in ((1280, DESKTOP), (375, PHONE)):
        page.set_viewport_size(viewport)
        for path in ("/profile", f"/u/{username}"):
            page.goto(f"{running_app.frontend}{path}")
            shows(page, "profile-name", LONG_WORD[:80])
            page.wait_for_selector("#profile-bio")
            scroll_width = page.evaluate("() => document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{path} is {scroll_width}px wide in a {width}px window"
            if path == "/profile":
                box = page.locator("#name-edit").bounding_box()
                assert box is not None and box["x"] + box["width"] <= width, (
                    f"the Edit button is off screen: {box}"
                )
            name = "profile" if path == "/profile" else "public"
            page.screenshot(path=str(artifacts / f"{name}-long-text-{width}.png"), full_page=True)
    context.close()


def in_view(page: Any, selector: str) -> bool:
    """The element is on screen without scrolling."""
    return page.evaluate(
        "(sel) => { const r = document.querySelector(sel).getBoundingClientRect();"
        " return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight && r.right <= window.innerWidth; }",
        selector,
    )


def test_on_a_phone_a_refused_save_says_why_where_the_typing_is(running_app, browser, artifacts):
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    username = new_username("phone")
    sign_up(page, running_app, username)
    page.tap("#name-edit")
    page.wait_for_selector("#name-input")
    page.fill("#name-input", "   ")
    page.tap("#name-save")
    shows(page, "name-error", "The name cannot be empty.")
    assert in_view(page, "#name-error") and in_view(page, "#name-input")
    # Touch screens are not told about keys they do not have.
    assert "Esc" not in page.inner_text("#name-editor")
    page.screenshot(path=str(artifacts / "profile-name-error-375.png"))
    page.tap("#name-cancel")
    page.tap("#headline-edit")
    page.fill("#headline-input", "h" * 121)
    shows(page, "headline-count", "121 / 120: 1 too many")
    assert in_view(page, "#headline-count") and page.is_disabled("#headline-save")
    assert stored_profile(running_app, username)[:2] == (username, "")
    context.close()
