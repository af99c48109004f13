"""``urlscreenshot``: a PNG of a web page, taken by headless Chromium behind the SSRF guard.

Chromium never reaches the network itself. Every request the page makes is intercepted
(Playwright's request routing) and fetched by the service through the SSRF guard -- the
same checks as any URL source, ``FETCH_ALLOWED_HOSTS`` included -- then handed back to the
page; anything that is not a plain ``GET`` is aborted. As a second wall, Chromium runs with
a proxy on a closed loopback port and a resolver that finds no host, so a request that
escaped the routing (a WebSocket, a service worker) cannot connect anywhere. Service workers
are blocked, downloads refused.

Chromium is Debian's (``chromium`` on ``PATH``), driven by Playwright; without it the task
is refused by name. One browser is launched per screenshot: nothing of one page survives
into the next.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dashboard.filestack_protocol.grammar import Task

from .errors import BadUpload
from .netguard import FetchError, FetchOptions

#: Filestack's parameters: agent, width, height, mode, delay (ms), orientation, device.
_AGENTS = ("desktop", "mobile")
_MODES = ("all", "window")
_ORIENTATIONS = ("portrait", "landscape")
MAX_WIDTH = 1920
MAX_HEIGHT = 8000
MAX_DELAY_MS = 20_000
_MOBILE_AGENT = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36"
)
_ISOLATION_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--proxy-server=http://127.0.0.1:9",
    "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
)
REFUSAL = "task 'urlscreenshot' is not available in the embedded service"


class ScreenshotError(BadUpload):
    """A screenshot that cannot be taken (a bad parameter, no browser, a page that failed)."""


@dataclass(frozen=True)
class ScreenshotOptions:
    """The ``urlscreenshot`` task's parameters, checked."""

    agent: str = "desktop"
    width: int = 1024
    height: int = 768
    mode: str = "all"
    delay_ms: int = 1000
    orientation: str = "portrait"
    device: str = ""

    @classmethod
    def from_task(cls, task: Task) -> ScreenshotOptions:
        """Read ``urlscreenshot=...``; :class:`ScreenshotError` names a bad parameter."""
        allowed = {"agent", "width", "height", "mode", "delay", "orientation", "device"}
        unknown = sorted(set(task.params) - allowed)
        if unknown:
            raise ScreenshotError(f"urlscreenshot: parameter '{unknown[0]}' is not a known parameter")

        def number(name: str, low: int, high: int, default: int) -> int:
            value = task.params.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                raise ScreenshotError(
                    f"urlscreenshot: parameter '{name}' must be an integer from {low} to {high}"
                )
            return value

        def choice(name: str, options: tuple[str, ...], default: str) -> str:
            value = str(task.params.get(name, default)).lower()
            if value not in options:
                raise ScreenshotError(
                    f"urlscreenshot: parameter '{name}' must be one of {', '.join(options)}"
                )
            return value

        device = task.params.get("device", "")
        return cls(
            agent=choice("agent", _AGENTS, "desktop"),
            width=number("width", 1, MAX_WIDTH, 1024),
            height=number("height", 1, MAX_HEIGHT, 768),
            mode=choice("mode", _MODES, "all"),
            delay_ms=number("delay", 0, MAX_DELAY_MS, 1000),
            orientation=choice("orientation", _ORIENTATIONS, "portrait"),
            device=str(device) if device is not True else "",
        )


def chromium_path() -> str | None:
    """Debian's Chromium, where it is installed."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


class Screenshots:
    """Takes screenshots with headless Chromium, every request of the page through ``fetching``."""

    def __init__(
        self, fetching: FetchOptions, find_browser: Callable[[], str | None] = chromium_path
    ) -> None:
        self.fetching = fetching
        self.find_browser = find_browser

    async def take(self, url: str, task: Task) -> bytes:
        """A PNG of the page at ``url`` as ``task`` (``urlscreenshot=...``) asks."""
        options = ScreenshotOptions.from_task(task)
        executable = self.find_browser()
        if executable is None:
            raise ScreenshotError(f"{REFUSAL}: no Chromium is installed")
        try:
            from playwright.async_api import Error as PlaywrightError
            from playwright.async_api import async_playwright
        except ImportError as exc:
            raise ScreenshotError(f"{REFUSAL}: Playwright is not installed") from exc
        try:
            async with async_playwright() as playwright:
                browser = await playwright.chromium.launch(
                    executable_path=executable, headless=True, args=list(_ISOLATION_ARGS)
                )
                try:
                    return await self._shoot(playwright, browser, url, options)
                finally:
                    await browser.close()
        except PlaywrightError as exc:
            raise ScreenshotError(f"urlscreenshot: the page could not be captured: {exc.message}") from exc

    async def _shoot(self, playwright: Any, browser: Any, url: str, options: ScreenshotOptions) -> bytes:
        context_options: dict[str, Any] = {
            "viewport": {"width": options.width, "height": options.height},
            "service_workers": "block",
            "accept_downloads": False,
        }
        if options.device:
            descriptor = playwright.devices.get(options.device)
            if descriptor is None:
                raise ScreenshotError(f"urlscreenshot: unknown device '{options.device}'")
            context_options.update(descriptor)
        elif options.agent == "mobile":
            width, height = options.width, options.height
            if (options.orientation == "landscape") != (width > height):
                width, height = height, width
            context_options.update(
                viewport={"width": width, "height": height},
                user_agent=_MOBILE_AGENT,
                is_mobile=True,
                has_touch=True,
            )
        context = await browser.new_context(**context_options)
        try:
            await context.route("**/*", self._guarded)
            page = await context.new_page()
            await page.goto(url, wait_until="load", timeout=self.fetching.timeout_s * 1000)
            if options.delay_ms:
                await page.wait_for_timeout(options.delay_ms)
            if options.mode == "window":
                png: bytes = await page.screenshot(type="png")
                return png
            viewport = page.viewport_size or {"width": options.width, "height": options.height}
            full_height = await page.evaluate("() => document.documentElement.scrollHeight")
            clip = {
                "x": 0,
                "y": 0,
                "width": viewport["width"],
                "height": max(1, min(int(full_height), MAX_HEIGHT)),
            }
            png = await page.screenshot(type="png", full_page=True, clip=clip)
            return png
        finally:
            await context.close()

    async def _guarded(self, route: Any) -> None:
        """Fetch one request of the page through the SSRF guard, or abort it."""
        request = route.request
        if request.method != "GET" or not request.url.startswith(("http://", "https://")):
            await route.abort("blockedbyclient")
            return
        try:
            body, content_type = await self.fetching.fetch(request.url)
        except FetchError:
            await route.abort("blockedbyclient")
            return
        await route.fulfill(status=200, body=body, headers={"content-type": content_type})
