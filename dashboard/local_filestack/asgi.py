"""The service as an ASGI app factory configured from the environment, for multi-worker servers.

    uvicorn --factory dashboard.local_filestack.asgi:app_from_env --workers 2 --port 8100
    granian --interface asgi --factory dashboard.local_filestack.asgi:app_from_env --workers 2

``DATA_DIR`` (default ``uploaded_files/local_filestack``) holds the key and secret;
``PUBLIC_URL`` is put in returned ``url`` fields; the deployment settings
(``DATABASE_URL``, ``REDIS_URL``, ``STORAGE_URL``, ``WORKFLOW_WORKERS``) select the parts.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.applications import Starlette

from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.config.service import ServiceConfig

DEFAULT_DATA_DIR = Path("uploaded_files") / "local_filestack"


def app_from_env() -> Starlette:
    """A service app for one worker process."""
    data_dir = Path(os.environ.get("DATA_DIR") or DEFAULT_DATA_DIR)
    return create_app(ServiceConfig.from_env(data_dir, public_url=os.environ.get("PUBLIC_URL") or None))
