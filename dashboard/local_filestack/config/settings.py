"""The one settings model of the embedded service: paths, credentials, security, limits, parts, workflows.

Every entry point builds it the same way -- ``ServiceSettings()`` reads the environment and the
project's ``.env`` -- and the app holds it as ``Settings.service``. Nested models keep their own
variable names (``MAX_PIXELS``, ``DATABASE_URL``, ``WORKFLOW_QUEUE_SIZE``…), so each default and each
name is written once, in the model that owns it.

Reading settings touches nothing: the data dir is created, and credentials generated, only when
a service is built (:func:`~dashboard.local_filestack.config.credentials.resolve_credentials`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.config.environment import (
    DEFAULT_DATA_DIR,
    resolve_data_dir,
    settings_config,
    variable_name,
)
from dashboard.local_filestack.config.limits import RateLimits, ServiceLimits
from dashboard.local_filestack.config.workflows import WorkflowSettings


class ServiceSettings(BaseSettings):
    """Everything the service needs to know before it starts."""

    model_config = settings_config()

    #: Files, metadata, jobs and the generated key and secret (``DATA_DIR``); always absolute.
    data_dir: Path = DEFAULT_DATA_DIR
    #: The API key clients must send; unset: the data dir's generated one.
    api_key: str | None = Field(default=None, validation_alias="filestack_api_key")
    #: The secret that signs policies; unset: the data dir's generated one.
    app_secret: SecretStr | None = Field(default=None, validation_alias="filestack_app_secret")
    #: Every delivery, upload and transformation needs a valid policy (Filestack's "security on").
    require_security: bool = Field(default=False, validation_alias="local_filestack_require_security")
    #: Base URL put in returned ``url`` fields (the one public URL); unset: derived from each request.
    public_url: str | None = Field(default=None, validation_alias="embedded_base_url")
    #: Private hosts every URL fetch may reach anyway (``host`` or ``host:port``, comma-separated):
    #: for development and tests. Empty: only public addresses are fetched.
    fetch_allowed_hosts: str = ""
    #: Browser origins allowed to call the service (comma-separated, ``*`` for any). Unset: the
    #: app's own origin (``EMBEDDED_BASE_URL``) and localhost on any port.
    cors_allowed_origins: str | None = None
    #: ``src://ALIAS/PATH`` sources: JSON ``{"alias": "file:///dir" | "s3://bucket[/prefix]"}``, kept as
    #: the JSON text so the settings stay hashable (see :attr:`aliases`).
    storage_aliases: str = ""
    #: Threads that render CDN transformations.
    transform_workers: int = Field(default=2, ge=1)
    limits: ServiceLimits = Field(default_factory=ServiceLimits)
    #: Calls per API key and window (``KEY_*_RATE_LIMIT``, ``KEY_RATE_WINDOW_S``).
    rate_limits: RateLimits = Field(default_factory=RateLimits)
    deployment: DeploymentSettings = Field(default_factory=DeploymentSettings)
    workflows: WorkflowSettings = Field(default_factory=WorkflowSettings)

    @field_validator("data_dir", mode="before")
    @classmethod
    def _absolute_data_dir(cls, value: Any) -> Path:
        return resolve_data_dir(value)

    @field_validator("api_key", "app_secret", "public_url", "cors_allowed_origins", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str | None) -> str | None:
        return value.rstrip("/") if value is not None else None

    @field_validator("storage_aliases", mode="before")
    @classmethod
    def _aliases_json(cls, value: Any) -> Any:
        if isinstance(value, dict):
            value = json.dumps(value)
        if isinstance(value, str) and value.strip():
            try:
                parsed = json.loads(value)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not JSON: {exc}") from exc
            if not isinstance(parsed, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
            ):
                raise ValueError('must be a JSON object like {"alias": "file:///dir"}')
        return value

    @property
    def aliases(self) -> dict[str, str]:
        """``STORAGE_ALIASES`` as alias -> ``file://`` directory or ``s3://`` bucket."""
        parsed: dict[str, str] = json.loads(self.storage_aliases) if self.storage_aliases.strip() else {}
        return parsed


class SettingsError(ValueError):
    """A setting the service cannot run with; the message names its environment variable."""


_MODELS: dict[str, type[BaseSettings]] = {
    model.__name__: model
    for model in (ServiceSettings, ServiceLimits, RateLimits, DeploymentSettings, WorkflowSettings)
}


def explain(exc: ValidationError) -> SettingsError:
    """The first problem of a settings error, named by its variable (``MAX_FRAMES: …``)."""
    problem = exc.errors()[0]
    location = [str(part) for part in problem.get("loc", ())]
    model = _MODELS.get(exc.title)
    for part in location[:-1]:  # a nested model's field: follow the path down to its model
        field = model.model_fields.get(part) if model is not None else None
        model = _MODELS.get(getattr(field.annotation, "__name__", "")) if field is not None else None
    name = location[-1] if location else exc.title
    if model is not None and name in model.model_fields:
        name = variable_name(model, name)
    return SettingsError(f"{name}: {problem['msg']}")


def load_settings(**overrides: Any) -> ServiceSettings:
    """The settings from the environment, ``overrides`` (not ``None``) winning; :class:`SettingsError` if invalid."""
    try:
        return ServiceSettings(**{key: value for key, value in overrides.items() if value is not None})
    except ValidationError as exc:
        raise explain(exc) from exc
