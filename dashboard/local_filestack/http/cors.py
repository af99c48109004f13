"""Cross-origin access: which browser apps may call the service, and what they may read.

``CORS_ALLOWED_ORIGINS`` (comma-separated origins, ``*`` for any) decides; unset, the app's
own origin (``EMBEDDED_BASE_URL``) and ``localhost`` / ``127.0.0.1`` / ``[::1]`` on any port
are allowed, so the profile page and a picker in development work and nothing else does.
Preflights answer with the methods the hosts use and mirror the asked headers (the SDKs send
``Filestack-Source``, ``Filestack-Trace-Id``, ``Filestack-Trace-Span``,
``Filestack-Upload-Region``, ``Content-MD5``); answers expose the headers the SDKs read
(``ETag`` of a part upload, ``Content-Disposition`` of a download). The service uses no
cookies, so no credentials are granted.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

LOCALHOST_ORIGINS = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS")
EXPOSED_HEADERS = ("ETag", "Content-Disposition", "Content-Length", "Location", "Vary")
PREFLIGHT_MAX_AGE_S = 600


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def cors_middleware(allowed: str | None, public_url: str | None) -> Middleware:
    """Starlette's CORS middleware for ``CORS_ALLOWED_ORIGINS`` (``allowed``) and the app's URL."""
    if allowed is not None and allowed.strip():
        origins = [origin.strip().rstrip("/") for origin in allowed.split(",") if origin.strip()]
        regex = None
    else:
        own = _origin(public_url) if public_url else None
        origins = [own] if own else []
        regex = LOCALHOST_ORIGINS
    return Middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_origin_regex=regex,
        allow_methods=list(METHODS),
        allow_headers=["*"],
        expose_headers=list(EXPOSED_HEADERS),
        allow_credentials=False,
        max_age=PREFLIGHT_MAX_AGE_S,
    )
