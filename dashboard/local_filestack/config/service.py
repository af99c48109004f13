"""Settings of the embedded Filestack-compatible service."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dashboard.local_filestack.config.credentials import load_or_create
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.imaging import Limits

MIB = 1024 * 1024

#: Environment variables the command line honours for the key and the secret.
API_KEY_ENV = "FILESTACK_API_KEY"
APP_SECRET_ENV = "FILESTACK_APP_SECRET"


class ServiceConfig(BaseModel):
    """Everything the service needs to run; the key and secret default to the data dir's.

    ``api_key`` and ``app_secret`` come from ``credentials.json`` in ``data_dir``
    (created on first use) unless both are given.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, frozen=True)

    data_dir: Path
    api_key: str
    app_secret: str
    #: Every delivery, upload and transformation needs a valid policy (Filestack's "security on").
    require_security: bool = False
    #: Base URL used in returned ``url`` fields; ``None`` derives it from each request.
    public_url: str | None = None
    max_upload_bytes: int = Field(default=25 * MIB, gt=0)
    limits: Limits = Field(default_factory=Limits)
    #: Let URL ingestion and URL sources reach private, loopback and link-local addresses.
    allow_private_fetch: bool = False
    fetch_timeout_s: float = Field(default=10.0, gt=0)
    fetch_max_bytes: int = Field(default=25 * MIB, gt=0)
    transform_workers: int = Field(default=2, ge=1)
    #: Which parts files, jobs and workflow work run on (default: this machine only).
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)

    @model_validator(mode="before")
    @classmethod
    def _fill_credentials(cls, values: Any) -> Any:
        """Read (or create) the data dir's credentials when key or secret is missing."""
        if not isinstance(values, dict):
            return values
        if values.get("api_key") and values.get("app_secret"):
            return values
        if values.get("data_dir") is None:
            return values
        creds = load_or_create(Path(values["data_dir"]))
        filled = dict(values)
        filled["api_key"] = values.get("api_key") or creds.api_key
        filled["app_secret"] = values.get("app_secret") or creds.app_secret
        return filled

    @model_validator(mode="after")
    def _normalise_public_url(self) -> "ServiceConfig":
        if self.public_url is not None:
            object.__setattr__(self, "public_url", self.public_url.rstrip("/"))
        return self

    @classmethod
    def from_env(cls, data_dir: Path, **overrides: Any) -> "ServiceConfig":
        """A config whose key and secret come from the environment when set there."""
        values: dict[str, Any] = {"data_dir": data_dir, "deployment": DeploymentSettings.from_env()}
        if os.environ.get(API_KEY_ENV):
            values["api_key"] = os.environ[API_KEY_ENV]
        if os.environ.get(APP_SECRET_ENV):
            values["app_secret"] = os.environ[APP_SECRET_ENV]
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)
