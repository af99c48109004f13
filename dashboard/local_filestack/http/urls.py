"""The service's own URLs as clients see them."""

from __future__ import annotations

from starlette.requests import Request

from dashboard.local_filestack.ingest.metadata import CDN_PREFIX, file_url

API_PREFIX = "/www"
UPLOAD_PREFIX = "/upload"

__all__ = ["API_PREFIX", "CDN_PREFIX", "UPLOAD_PREFIX", "file_url", "location_url", "mount_root", "service_base"]


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


def location_url(request: Request, public_url: str | None) -> str:
    """The Upload API host as Filestack returns it: host and path, no scheme."""
    base = service_base(request, UPLOAD_PREFIX, public_url)
    return base.split("://", 1)[-1] + UPLOAD_PREFIX
