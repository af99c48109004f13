"""Answering with file bytes: types that could run script never render inline."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import Response

#: Types a browser may execute or render as a document: always downloaded, never inline.
ACTIVE_TYPES: frozenset[str] = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "image/svg+xml",
        "text/xml",
        "application/xml",
        "text/javascript",
        "application/javascript",
        "application/x-javascript",
        "application/ecmascript",
        "text/ecmascript",
        "application/x-shockwave-flash",
        "text/xsl",
        "application/xslt+xml",
        "application/rdf+xml",
        "application/mathml+xml",
        "multipart/x-mixed-replace",
    }
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def is_active(mimetype: str) -> bool:
    """True for a type that can carry script when rendered by a browser."""
    return mimetype.split(";", 1)[0].strip().lower() in ACTIVE_TYPES


def content_disposition(kind: str, filename: str | None) -> str:
    """``attachment``/``inline`` with an ASCII fallback name and the UTF-8 one."""
    if not filename:
        return kind
    fallback = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in filename)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def safe_headers(mimetype: str, *, filename: str | None = None, download: bool = False) -> dict[str, str]:
    """Headers for delivering bytes of ``mimetype`` without letting them run."""
    headers = {"X-Content-Type-Options": "nosniff"}
    if is_active(mimetype):
        headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
        headers["Content-Disposition"] = content_disposition("attachment", filename)
    elif download:
        headers["Content-Disposition"] = content_disposition("attachment", filename)
    elif filename:
        headers["Content-Disposition"] = content_disposition("inline", filename)
    return headers


def etag_matches(request: Request, etag: str) -> bool:
    """True when ``If-None-Match`` names ``etag`` (given unquoted) or is ``*``."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    for candidate in header.split(","):
        candidate = candidate.strip()
        candidate = candidate.removeprefix("W/")
        if candidate == "*" or candidate.strip('"') == etag:
            return True
    return False


def bytes_response(
    request: Request,
    data: bytes,
    mimetype: str,
    *,
    etag: str | None = None,
    cache_control: str | None = None,
    filename: str | None = None,
    download: bool = False,
    extra: Mapping[str, str] | None = None,
) -> Response:
    """The bytes with safe headers; 304 on a matching ``If-None-Match``; no body for HEAD."""
    headers = safe_headers(mimetype, filename=filename, download=download)
    if etag is not None:
        headers["ETag"] = f'"{etag}"'
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    if extra:
        headers.update(extra)
    if etag is not None and etag_matches(request, etag):
        kept = {k: v for k, v in headers.items() if k in ("ETag", "Cache-Control")}
        return Response(status_code=304, headers=kept)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(data))
        return Response(b"", media_type=mimetype, headers=headers)
    return Response(data, media_type=mimetype, headers=headers)
