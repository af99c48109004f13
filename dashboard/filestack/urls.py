"""URLs of the Filestack endpoints the client calls, built from base URLs alone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from dashboard.filestack_protocol.grammar import Task, is_handle, render_path
from dashboard.filestack_protocol.security import Security

_ID_RE = re.compile(r"^[A-Za-z0-9_-]+$")


def check_id(name: str, value: str) -> str:
    """``value`` when it is a plain id (letters, digits, ``-``, ``_``), else ``ValueError``."""
    if not isinstance(value, str) or not _ID_RE.match(value):
        raise ValueError(f"{name} must contain only letters, digits, '-' and '_', got {value!r}")
    return value


def security_task(security: Security) -> Task:
    """The ``security=p:...,s:...`` task."""
    return Task("security", {"p": security.policy, "s": security.signature})


def file_url(api_url: str, handle: str) -> str:
    """``{api_url}/api/file/{handle}``: download, overwrite, delete."""
    return f"{api_url}/api/file/{check_id('handle', handle)}"


def metadata_url(api_url: str, handle: str) -> str:
    """``{api_url}/api/file/{handle}/metadata``."""
    return f"{file_url(api_url, handle)}/metadata"


def store_url(api_url: str, location: str) -> str:
    """``{api_url}/api/store/{location}``: simple store of a body or a URL."""
    return f"{api_url}/api/store/{check_id('location', location)}"


def multipart_start_url(upload_url: str) -> str:
    """``{upload_url}/multipart/start``."""
    return f"{upload_url}/multipart/start"


def multipart_base_url(location_url: str, upload_url: str) -> str:
    """The regional upload base from ``/multipart/start``'s ``location_url``.

    Filestack returns a bare host (``upload-eu-west-1.filestackapi.com``); it gets
    the scheme of ``upload_url``. A ``location_url`` with a scheme is used as is.
    """
    location = location_url.strip().rstrip("/")
    if "://" in location:
        return location
    scheme = urlsplit(upload_url).scheme or "https"
    return f"{scheme}://{location}"


def run_workflow_url(
    cdn_url: str,
    workflow_id: str,
    source: str,
    *,
    apikey: str,
    security: Security | None,
) -> str:
    """``{cdn}/[APIKEY/]security=p:..,s:../run_workflow=id:ID/SOURCE``.

    The API key is prepended for URL and ``src://`` sources, not for handles.
    """
    if not source:
        raise ValueError("source must not be empty")
    tasks: list[Task] = [security_task(security)] if security is not None else []
    tasks.append(Task("run_workflow", {"id": check_id("workflow_id", workflow_id)}))
    key = None if is_handle(source) else apikey
    return f"{cdn_url}/{render_path(tasks, source, key)}"


def workflow_status_url(cdn_url: str, jobid: str, *, apikey: str, security: Security | None) -> str:
    """``{cdn}/APIKEY/security=p:..,s:../workflow_status=job_id:JOBID``."""
    parts = [apikey]
    if security is not None:
        parts.append(security_task(security).render())
    parts.append(Task("workflow_status", {"job_id": check_id("jobid", jobid)}).render())
    return f"{cdn_url}/{'/'.join(parts)}"
