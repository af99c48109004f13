"""The service as an ASGI app factory configured from its settings, for multi-worker servers.

    uvicorn --factory dashboard.local_filestack.asgi:app_from_env --workers 2 --port 8100
    granian --interface asgi --factory dashboard.local_filestack.asgi:app_from_env --workers 2

Every setting is read by :class:`~dashboard.local_filestack.config.settings.ServiceSettings`
from the environment and the project's ``.env``: ``DATA_DIR`` holds the key and secret,
``EMBEDDED_BASE_URL`` is put in returned ``url`` fields, the deployment settings
(``DATABASE_URL``, ``REDIS_URL``, ``STORAGE_URL``, ``WORKFLOW_WORKERS``) select the parts.
"""

from __future__ import annotations

from starlette.applications import Starlette

from dashboard.local_filestack.app import create_app
from dashboard.local_filestack.config.settings import load_settings


def app_from_env() -> Starlette:
    """A service app for one worker process."""
    return create_app(load_settings())
