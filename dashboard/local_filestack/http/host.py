"""What the endpoints of every Filestack host share: the gate, the files, the limits, the public URL."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from dashboard.local_filestack.http.auth import Gate
from dashboard.local_filestack.http.urls import service_base
from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.storage.store import Storage


@dataclass(frozen=True)
class HostParts:
    """The parts each host's endpoints are given (besides their own: a cache, a renderer…)."""

    gate: Gate
    storage: Storage
    limits: Limits
    max_upload_bytes: int
    #: Base of returned URLs; ``None`` derives it from each request.
    public_url: str | None

    def base_url(self, request: Request, prefix: str) -> str:
        """The base of URLs handed back to the client of ``request``."""
        return service_base(request, prefix, self.public_url)
