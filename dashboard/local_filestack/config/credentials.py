"""The service's API key and app secret: from the settings when given, else generated once per data dir."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from dashboard.local_filestack.config.settings import ServiceSettings

CREDENTIALS_FILE = "credentials.json"


class Credentials(BaseModel):
    """An API key and the app secret that signs its policies."""

    model_config = ConfigDict(frozen=True)

    api_key: str
    app_secret: str

    def __repr__(self) -> str:
        return f"Credentials(api_key={self.api_key!r}, app_secret='**********')"

    __str__ = __repr__


def load_or_create(data_dir: Path) -> Credentials:
    """Read ``credentials.json`` from ``data_dir``, creating it (mode 0600) on first use."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / CREDENTIALS_FILE
    if path.exists():
        return Credentials.model_validate_json(path.read_text())
    creds = Credentials(
        api_key="L" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")[:21],
        app_secret=secrets.token_hex(32),
    )
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(creds.model_dump(), handle)
    try:
        os.link(tmp, path)  # first writer wins when two processes start together
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return Credentials.model_validate_json(path.read_text())


def resolve_credentials(settings: ServiceSettings) -> Credentials:
    """The key and secret the service runs with: the settings' own, completed from the data dir.

    ``FILESTACK_API_KEY`` / ``FILESTACK_APP_SECRET`` win; whichever is missing comes from
    ``DATA_DIR/credentials.json`` (created on first use, so every process on the same data
    dir agrees).
    """
    secret = settings.app_secret.get_secret_value() if settings.app_secret is not None else None
    if settings.api_key and secret:
        return Credentials(api_key=settings.api_key, app_secret=secret)
    stored = load_or_create(settings.data_dir)
    return Credentials(api_key=settings.api_key or stored.api_key, app_secret=secret or stored.app_secret)
