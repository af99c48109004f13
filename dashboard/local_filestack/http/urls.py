"""The service's own URLs as clients see them."""

from __future__ import annotations

from starlette.requests import Request

CDN_PREFIX = "/cdn"
API_PREFIX = "/www"
UPLOAD_PREFIX = "/upload"


def mount_root(request: Request, prefix: str) -> str:
    """The path under which the service's mounts live (empty at the app root)."""
    root_path: str = request.scope.get("root_path", "")
    if root_path.endswith(prefix):
        return root_path[: -len(prefix)]
    return root_path


def service_base(request: Request, prefix: str, public_url: str | None) -> str:
    """``scheme://host[:port][/root]`` of the service, or the configured public URL."""
    if public_url:
        return public_url.rstrip("/")
    return f"{request.url.scheme}://{request.url.netloc}{mount_root(request, prefix)}"


def file_url(base: str, handle: str) -> str:
    """The CDN URL of a stored file."""
    return f"{base}{CDN_PREFIX}/{handle}"


def location_url(request: Request, public_url: str | None) -> str:
    """The Upload API host as Filestack returns it: host and path, no scheme."""
    base = service_base(request, UPLOAD_PREFIX, public_url)
    return base.split("://", 1)[-1] + UPLOAD_PREFIX
