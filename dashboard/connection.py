"""Which Filestack the app talks to: real Filestack when an API key is set, else the embedded service.

Both are reached through the same client; only the base URLs and credentials differ.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr

from dashboard.filestack import ClientConfig, FilestackClient
from dashboard.local_filestack.config.credentials import resolve_credentials
from dashboard.settings import Settings, get_settings


@lru_cache(maxsize=4)
def _client_config(settings: Settings) -> ClientConfig:
    if settings.embedded:
        creds = resolve_credentials(settings.service)  # the same key and secret the service runs with
        return ClientConfig.embedded(
            settings.embedded_base_url, api_key=creds.api_key, app_secret=creds.app_secret
        )
    return ClientConfig(
        api_key=settings.filestack_api_key or "",
        app_secret=SecretStr(settings.filestack_app_secret) if settings.filestack_app_secret else None,
        cdn_url=settings.filestack_cdn_url,
        api_url=settings.filestack_api_url,
        upload_url=settings.filestack_upload_url,
        workflows_url=settings.filestack_workflows_url,
    )


def client_config(settings: Settings | None = None) -> ClientConfig:
    """The client configuration for these settings (the process's settings by default)."""
    return _client_config(settings or get_settings())


def open_client(settings: Settings | None = None) -> FilestackClient:
    """A new client; use it as ``async with open_client() as fs:``."""
    return FilestackClient(client_config(settings))
