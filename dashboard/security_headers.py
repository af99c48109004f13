"""Security headers on every page the app serves: by the backend, and by the frontend's dev server.

The pages reach the browser two ways. ``reflex run`` serves them from Vite's dev server (port
3000), whose headers only its ``vite.config.js`` can set: :class:`SecurityHeadersPlugin` adds
them there (``server.headers`` and ``preview.headers``) each time Reflex compiles the app. In
production the backend serves the built pages itself (``REFLEX_MOUNT_FRONTEND_COMPILED_APP``), and
:func:`security_headers` (an ``api_transformer``, the outermost) adds them to every backend answer
that does not set its own: the pages, uploads and the embedded service's files alike. A response
that brings its own ``Content-Security-Policy`` (a sandboxed SVG download, the API docs) keeps it.

The policy lets the page do what it does and nothing else: its own scripts (Reflex and React
Router put their boot data in inline scripts, so ``'unsafe-inline'`` stays for scripts and for
the styles Tailwind and Radix inject; Reflex's client runs the scripts its backend sends with
``eval``, hence ``'unsafe-eval'``), the websocket and uploads to the backend, images from the
backend (the embedded service's CDN) or Filestack's CDN and ``blob:``/``data:`` previews, and no
framing by anyone (``frame-ancestors 'none'``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

import reflex as rx

from dashboard.settings import Settings, get_settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Marks the headers added to ``vite.config.js`` (a later compile replaces them).
VITE_MARKER = "/* profile-studio security headers */"


def origin(url: str) -> str:
    """``scheme://host[:port]`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def websocket_origin(url: str) -> str:
    """The ``ws://``/``wss://`` origin matching an ``http://``/``https://`` one."""
    parts = urlsplit(url)
    return f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}"


def content_security_policy(backend_url: str, image_urls: Iterable[str] = ()) -> str:
    """The pages' policy: the backend is where the websocket, uploads and the embedded service are."""
    backend = origin(backend_url)
    images = " ".join(sorted({origin(url) for url in image_urls} | {backend}))
    directives = {
        "default-src": "'self'",
        # Reflex's client runs the scripts its backend sends (built-in events, call_script) with eval.
        "script-src": "'self' 'unsafe-inline' 'unsafe-eval'",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": f"'self' data: blob: {images}",
        "media-src": f"'self' blob: {backend}",
        "font-src": "'self' data:",
        "connect-src": f"'self' {backend} {websocket_origin(backend_url)}",
        "worker-src": "'self' blob:",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def page_headers(backend_url: str, image_urls: Iterable[str] = ()) -> dict[str, str]:
    """Every header a page carries."""
    return {
        "Content-Security-Policy": content_security_policy(backend_url, image_urls),
        "X-Frame-Options": "DENY",  # frame-ancestors for browsers without CSP level 2
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Content-Type-Options": "nosniff",
        "Cross-Origin-Opener-Policy": "same-origin",
        # The camera: the profile's "Take a photo" (this origin only).
        "Permissions-Policy": "camera=(self), microphone=(), geolocation=(), payment=()",
    }


def app_page_headers(settings: Settings | None = None, api_url: str | None = None) -> dict[str, str]:
    """The headers of the app's pages, from Reflex's backend URL and the app's settings."""
    settings = settings or get_settings()
    backend = api_url or rx.config.get_config().api_url
    images = [settings.embedded_base_url] if settings.embedded else [settings.filestack_cdn_url]
    return page_headers(backend, images)


def security_headers(headers: Mapping[str, str]) -> Callable[[ASGIApp], ASGIApp]:
    """An ``api_transformer`` adding ``headers`` to every HTTP answer that lacks them (websockets untouched)."""
    encoded = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers.items()]

    def wrap(app: ASGIApp) -> ASGIApp:
        async def with_headers(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return

            async def send_with_headers(message: Message) -> None:
                if message["type"] == "http.response.start":
                    present = {name.lower() for name, _ in message.get("headers") or []}
                    added = [(name, value) for name, value in encoded if name not in present]
                    message = {**message, "headers": [*(message.get("headers") or []), *added]}
                await send(message)

            await app(scope, receive, send_with_headers)

        return with_headers

    return wrap


def add_to_vite_config(config: str, headers: Mapping[str, str]) -> str:
    """``vite.config.js`` with a plugin setting ``headers`` on every answer of the dev and preview servers.

    Vite's own ``server.headers`` misses the pages: React Router's dev middleware answers them. A
    middleware added in ``configureServer`` runs before both. An earlier set is replaced.
    """
    config = re.sub(rf"\n[^\n]*{re.escape(VITE_MARKER)}[^\n]*", "", config)
    if "plugins: [" not in config:
        raise ValueError("vite.config.js has no 'plugins: [' list to add the security headers to")
    middleware = (
        f"(server) => {{ server.middlewares.use((req, res, next) => {{ "
        f"for (const [name, value] of Object.entries({json.dumps(dict(headers))})) res.setHeader(name, value); "
        f"next(); }}); }}"
    )
    plugin = (
        f'    {{ name: "security-headers", configureServer: {middleware}, '
        f"configurePreviewServer: {middleware} }}, {VITE_MARKER}"
    )
    return config.replace("plugins: [", f"plugins: [\n{plugin}", 1)


class SecurityHeadersPlugin(rx.plugins.Plugin):
    """Adds the pages' security headers to the Vite dev server Reflex runs (``reflex run``)."""

    def pre_compile(self, **context: Any) -> None:
        headers = app_page_headers()
        context["add_modify_task"]("vite.config.js", lambda config: add_to_vite_config(config, headers))
