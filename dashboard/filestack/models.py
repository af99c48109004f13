"""Pydantic models of every Filestack response the client reads.

Models keep unknown keys (``extra="allow"``) so nothing the server sends is lost,
and use the API's own camelCase names as aliases where it has them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator


def handle_from_url(url: str | None) -> str | None:
    """The last path segment of a file URL (its handle on Filestack's CDN)."""
    if not url:
        return None
    segments = [part for part in urlsplit(url).path.split("/") if part]
    return segments[-1] if segments else None


def _fill_file_fields(data: Any) -> Any:
    """Derive ``handle`` from ``url`` and mirror ``type``/``mimetype`` when one is missing."""
    if not isinstance(data, dict):
        return data
    data = dict(data)
    if not data.get("handle") and isinstance(data.get("url"), str):
        data["handle"] = handle_from_url(data["url"])
    if data.get("mimetype") is None and isinstance(data.get("type"), str):
        data["mimetype"] = data["type"]
    if data.get("type") is None and isinstance(data.get("mimetype"), str):
        data["type"] = data["mimetype"]
    return data


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class _FileModel(_Model):
    """A model describing one file: ``handle`` and ``type``/``mimetype`` are filled in."""

    @model_validator(mode="before")
    @classmethod
    def _fill(cls, data: Any) -> Any:
        return _fill_file_fields(data)


class StoreResponse(_FileModel):
    """A stored file: the answer of the File API store, multipart complete and ``store`` task."""

    url: str
    handle: str
    filename: str | None = None
    size: int | None = None
    type: str | None = None
    mimetype: str | None = None
    key: str | None = None
    container: str | None = None
    width: int | None = None
    height: int | None = None


class MultipartStart(_Model):
    """``/multipart/start``: where and under which ids the parts go."""

    uri: str
    region: str
    upload_id: str
    location_url: str
    location_region: str | None = None
    upload_type: str | None = None


class MultipartPartUrl(_Model):
    """``/multipart/upload``: the presigned URL (and its headers) to PUT one part to."""

    url: str
    headers: dict[str, str] = Field(default_factory=dict)


class CompleteResponse(_FileModel):
    """``/multipart/complete`` once the parts are merged."""

    handle: str
    url: str
    filename: str | None = None
    size: int | None = None
    mimetype: str | None = None
    type: str | None = None
    key: str | None = None
    container: str | None = None
    status: str | None = None
    workflows: list[Any] | None = None


class FileMetadata(_Model):
    """``/api/file/{handle}/metadata``: only the requested fields are set."""

    size: int | None = None
    mimetype: str | None = None
    filename: str | None = None
    width: int | None = None
    height: int | None = None
    uploaded: float | None = None
    writeable: bool | None = None
    cloud: bool | None = None
    source_url: str | None = None
    location: str | None = None
    path: str | None = None
    container: str | None = None
    key: str | None = None
    md5: str | None = None
    sha1: str | None = None
    sha224: str | None = None
    sha256: str | None = None
    sha384: str | None = None
    sha512: str | None = None
    exif: dict[str, Any] | None = None


class WorkflowRun(_Model):
    """``run_workflow``: the job just started."""

    created_at: str | None = Field(default=None, alias="createdAt")
    jobid: str
    sources: list[str] = Field(default_factory=list)
    status: str
    updated_at: str | None = Field(default=None, alias="updatedAt")
    workflow: str | None = None


class TaskResult(_Model):
    """One entry of a job's ``results``: ``data`` and/or ``error``, plus any other keys.

    Results come as ``{"data": {...}}`` or flat (``{"url": ..., "mimetype": ..., "size": ...}``).
    """

    data: Any = None
    error: Any = None

    @property
    def failed(self) -> bool:
        """True when the task reported an error."""
        return bool(self.error)

    def payload(self) -> dict[str, Any]:
        """The result's fields: ``data`` when it is an object, else the flat keys."""
        if isinstance(self.data, dict):
            return self.data
        return dict(self.model_extra or {})


class StoredResult(_FileModel):
    """A file a workflow task produced (stored or processed)."""

    task: str
    url: str
    handle: str | None = None
    filename: str | None = None
    size: int | None = None
    mimetype: str | None = None
    type: str | None = None
    key: str | None = None
    container: str | None = None
    width: int | None = None
    height: int | None = None

    @property
    def is_stored(self) -> bool:
        """True for a kept file (it has a storage key), not a processed preview."""
        return bool(self.key)


def stored_outputs(results: dict[str, TaskResult]) -> list[StoredResult]:
    """Every result that names a file URL, by task, in result order (both result shapes)."""
    files: list[StoredResult] = []
    for name, result in results.items():
        payload = result.payload()
        if isinstance(payload.get("url"), str) and payload["url"]:
            files.append(StoredResult.model_validate({**payload, "task": name}))
    return files


class WorkflowStatus(_Model):
    """``workflow_status``: the job's state and the results of its tasks so far."""

    created_at: str | None = Field(default=None, alias="createdAt")
    jobid: str
    results: dict[str, TaskResult] = Field(default_factory=dict)
    sources: list[str] = Field(default_factory=list)
    status: str
    ttl: int | None = None
    updated_at: str | None = Field(default=None, alias="updatedAt")
    workflow: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_results(cls, data: Any) -> Any:
        """``"results": null`` means no results yet."""
        if isinstance(data, dict) and data.get("results") is None and "results" in data:
            data = {**data, "results": {}}
        return data

    @property
    def finished(self) -> bool:
        """True when the job's status is ``Finished``."""
        return self.status.lower() == "finished"

    @property
    def failed(self) -> bool:
        """True when the status is ``Failed`` or any task reported an error."""
        return self.status.lower() == "failed" or any(result.failed for result in self.results.values())

    def errors(self) -> dict[str, Any]:
        """Each failed task's ``error``, by task name."""
        return {name: result.error for name, result in self.results.items() if result.failed}

    def stored_files(self) -> list[StoredResult]:
        """Every result that names a file URL, in result order; both result shapes are read."""
        return stored_outputs(self.results)

    def final_url(self, prefer_task: str | None = None) -> str | None:
        """The URL of the job's output file.

        ``prefer_task`` (an exact task name, or a prefix such as ``"store"`` matching
        ``store_1571950225779``) wins when that task produced a URL; otherwise the last
        stored file (one with a storage key), else the last file URL, else ``None``.
        """
        files = self.stored_files()
        if not files:
            return None
        if prefer_task:
            exact = [f for f in files if f.task == prefer_task]
            prefixed = [f for f in files if f.task.startswith(f"{prefer_task}_")]
            for group in (exact, prefixed):
                if group:
                    return group[-1].url
        stored = [f for f in files if f.is_stored]
        return (stored or files)[-1].url
