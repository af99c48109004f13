"""Connection settings of the Filestack client: base URLs, credentials and limits.

The client needs nothing but these values, so the same code talks to real
Filestack or to the embedded Filestack-compatible service; only the base URLs
differ (see :meth:`ClientConfig.embedded`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

#: Real Filestack hosts.
DEFAULT_CDN_URL = "https://cdn.filestackcontent.com"
DEFAULT_API_URL = "https://www.filestackapi.com"
DEFAULT_UPLOAD_URL = "https://upload.filestackapi.com"
DEFAULT_WORKFLOWS_URL = "https://workflows-beta.filestackapi.com"


class ClientConfig(BaseModel):
    """Everything :class:`~dashboard.filestack.client.FilestackClient` needs.

    ``app_secret`` is a :class:`~pydantic.SecretStr`: it shows as ``**********`` in
    ``repr``, ``str`` and JSON dumps. ``api_url`` is the File API host (the client
    appends ``/api/...``). Base URLs are stored without a trailing slash.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: str = Field(min_length=1)
    app_secret: SecretStr | None = None
    cdn_url: str = DEFAULT_CDN_URL
    api_url: str = DEFAULT_API_URL
    upload_url: str = DEFAULT_UPLOAD_URL
    workflows_url: str = DEFAULT_WORKFLOWS_URL
    #: Seconds allowed for one HTTP request.
    timeout_s: float = Field(default=30.0, gt=0)
    #: Extra attempts for idempotent requests after a timeout, connection error, 429 or 5xx.
    retries: int = Field(default=3, ge=0)
    #: First wait between retries, doubled each time (with jitter) up to ``retry_max_wait_s``.
    retry_wait_s: float = Field(default=0.5, ge=0)
    retry_max_wait_s: float = Field(default=8.0, ge=0)
    #: Lifetime of the short-lived policies the client signs.
    policy_ttl_s: int = Field(default=300, gt=0)

    @field_validator("cdn_url", "api_url", "upload_url", "workflows_url")
    @classmethod
    def _strip_slash(cls, url: str) -> str:
        """Base URLs are absolute and kept without a trailing slash."""
        url = url.strip().rstrip("/")
        if not url.startswith(("http://", "https://")):
            raise ValueError("base URLs must start with http:// or https://")
        return url

    @field_validator("app_secret")
    @classmethod
    def _empty_secret_is_none(cls, secret: SecretStr | None) -> SecretStr | None:
        """An empty secret means "no secret"."""
        if secret is not None and not secret.get_secret_value():
            return None
        return secret

    @property
    def has_secret(self) -> bool:
        """True when policies can be signed."""
        return self.app_secret is not None

    @classmethod
    def embedded(
        cls,
        base_url: str,
        *,
        api_key: str,
        app_secret: str | None = None,
        **options: Any,
    ) -> ClientConfig:
        """Config for the embedded service mounted under ``base_url``.

        ``base_url`` is e.g. ``http://127.0.0.1:8000``; the service's hosts live at
        ``/cdn``, ``/www``, ``/upload`` and ``/workflows-beta`` below it.
        """
        root = base_url.rstrip("/")
        return cls(
            api_key=api_key,
            app_secret=SecretStr(app_secret) if app_secret else None,
            cdn_url=f"{root}/cdn",
            api_url=f"{root}/www",
            upload_url=f"{root}/upload",
            workflows_url=f"{root}/workflows-beta",
            **options,
        )
