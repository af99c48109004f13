"""The embedded service's API key and app secret, generated once per data directory."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from pydantic import BaseModel

CREDENTIALS_FILE = "credentials.json"


class Credentials(BaseModel):
    """An API key and the app secret that signs its policies."""

    api_key: str
    app_secret: str


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
