"""The service's own URLs as clients see them: behind no proxy, behind a reverse proxy, or with
one public host per Filestack host.

A request tells how it was reached. With no ``X-Forwarded-*`` header the service answers with
the URL the request was made to (or ``EMBEDDED_BASE_URL``); behind a reverse proxy in front of
the whole service, with ``X-Forwarded-Proto`` and ``X-Forwarded-Host`` (and the path prefix the
proxy adds, ``X-Forwarded-Prefix``). When a proxy maps one public host onto one of the service's
prefixes -- ``upload.filestackapi.com`` onto ``/upload``, as the conformance harness does --
``X-Forwarded-Prefix`` names that mount: URLs of that mount are then the public host itself
(``https://upload.filestackapi.com/multipart/...``), and, when the host is one of Filestack's,
the other mounts are Filestack's other hosts (a stored file is
``https://cdn.filestackcontent.com/HANDLE``), so an SDK switching base URLs finds every URL
where it expects it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from dashboard.local_filestack.ingest.metadata import CDN_PREFIX, cdn_file_url, file_url

API_PREFIX = "/www"
UPLOAD_PREFIX = "/upload"
PROCESS_PREFIX = "/process"
WORKFLOWS_PREFIX = "/workflows-beta"

#: Filestack's public host for each of the service's prefixes.
FILESTACK_HOSTS: dict[str, str] = {
    CDN_PREFIX: "cdn.filestackcontent.com",
    API_PREFIX: "www.filestackapi.com",
    UPLOAD_PREFIX: "upload.filestackapi.com",
    PROCESS_PREFIX: "process.filestackapi.com",
    WORKFLOWS_PREFIX: "workflows-beta.filestackapi.com",
}

__all__ = [
    "API_PREFIX",
    "CDN_PREFIX",
    "FILESTACK_HOSTS",
    "PROCESS_PREFIX",
    "UPLOAD_PREFIX",
    "WORKFLOWS_PREFIX",
    "PublicHosts",
    "file_url",
    "location_url",
    "mount_root",
    "public_hosts",
    "service_base",
]


@dataclass(frozen=True)
class PublicHosts:
    """Where each mount of the service is reached from outside, for one request.

    ``root`` is the URL the mounts live under (``root + "/cdn"``); ``mapped`` holds the mounts
    reached through a host of their own (prefix -> base URL standing for that mount).
    """

    root: str
    mapped: dict[str, str] = field(default_factory=dict)

    def mount(self, prefix: str) -> str:
        """The public base URL of the mount at ``prefix`` (its paths follow it)."""
        return self.mapped.get(prefix) or f"{self.root}{prefix}"

    @property
    def cdn(self) -> str:
        """The CDN's public base: ``cdn + "/" + HANDLE`` is a stored file."""
        return self.mount(CDN_PREFIX)

    def file_url(self, handle: str) -> str:
        """The public CDN URL of a stored file."""
        return cdn_file_url(self.cdn, handle)

    @property
    def location_url(self) -> str:
        """The Upload API host as Filestack's ``location_url`` gives it: host and path, no scheme."""
        return self.mount(UPLOAD_PREFIX).split("://", 1)[-1]


def mount_root(request: Request, prefix: str) -> str:
    """The path under which the service's mounts live (empty at the app root)."""
    root_path: str = request.scope.get("root_path", "")
    if root_path.endswith(prefix):
        return root_path[: -len(prefix)]
    return root_path


def _first(value: str | None) -> str:
    """The first (client-side) entry of a possibly comma-separated forwarded header."""
    return (value or "").split(",", 1)[0].strip()


def _host_name(netloc: str) -> str:
    """``host`` of ``host[:port]`` (IPv6 literals keep their brackets), lower-cased."""
    if netloc.startswith("["):
        return netloc.split("]", 1)[0].lower() + "]"
    return netloc.rsplit(":", 1)[0].lower() if netloc.count(":") == 1 else netloc.lower()


def public_hosts(request: Request, prefix: str, public_url: str | None) -> PublicHosts:
    """How the mounts of the service are reached from outside, judged from ``request`` (answered
    by the mount at ``prefix``) and the configured public URL."""
    proto = _first(request.headers.get("x-forwarded-proto")) or request.url.scheme
    host = _first(request.headers.get("x-forwarded-host"))
    forwarded_prefix = _first(request.headers.get("x-forwarded-prefix")).rstrip("/")
    if forwarded_prefix and forwarded_prefix == prefix:
        netloc = host or request.url.netloc
        own = f"{proto}://{netloc}"
        if _host_name(netloc) == FILESTACK_HOSTS.get(prefix):
            return PublicHosts(root=own, mapped={p: f"{proto}://{h}" for p, h in FILESTACK_HOSTS.items()})
        return PublicHosts(root=(public_url or own).rstrip("/"), mapped={prefix: own})
    if host or request.headers.get("x-forwarded-proto"):
        netloc = host or request.url.netloc
        return PublicHosts(root=f"{proto}://{netloc}{forwarded_prefix}{mount_root(request, prefix)}")
    if public_url:
        return PublicHosts(root=public_url.rstrip("/"))
    return PublicHosts(root=f"{request.url.scheme}://{request.url.netloc}{mount_root(request, prefix)}")


def service_base(request: Request, prefix: str, public_url: str | None) -> str:
    """``scheme://host[:port][/root]`` under which the mounts live (see :func:`public_hosts`)."""
    return public_hosts(request, prefix, public_url).root


def location_url(request: Request, public_url: str | None) -> str:
    """The Upload API host as Filestack returns it: host and path, no scheme."""
    return public_hosts(request, UPLOAD_PREFIX, public_url).location_url
