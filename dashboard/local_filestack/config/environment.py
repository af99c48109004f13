"""Where settings come from: the environment, then the project's ``.env``, then the defaults.

Every settings model of the service uses :func:`settings_config`, so each one reads the
same ``.env`` (found next to the code, never relative to the working directory) whatever
process builds it: the app, ``python -m dashboard.local_filestack``, an ASGI worker or a
Celery queue worker.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from pydantic_settings import BaseSettings, SettingsConfigDict

#: The checkout (or installed tree) the ``dashboard`` package lives in.
PROJECT_ROOT = Path(__file__).resolve().parents[3]
#: The ``.env`` file every entry point reads.
ENV_FILE = PROJECT_ROOT / ".env"
#: The service's files, metadata, jobs and credentials when ``DATA_DIR`` is not set. ``uploaded_files``
#: is a folder Reflex's hot reload ignores, so writing there never restarts the backend.
DEFAULT_DATA_DIR = PROJECT_ROOT / "uploaded_files" / "local_filestack"


def settings_config(**values: Any) -> SettingsConfigDict:
    """The configuration shared by the service's settings models (``values`` add to it)."""
    shared: dict[str, Any] = {
        "env_file": ENV_FILE,
        "env_file_encoding": "utf-8",
        "extra": "ignore",
        "frozen": True,
        "populate_by_name": True,
    }
    return cast(SettingsConfigDict, shared | values)


def resolve_data_dir(value: str | Path | None) -> Path:
    """The data directory as an absolute path: a relative one is taken from the project root."""
    if value is None or not str(value).strip():
        return DEFAULT_DATA_DIR
    path = Path(value).expanduser()
    return (path if path.is_absolute() else PROJECT_ROOT / path).resolve()


def variable_name(model: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` of ``model``."""
    info = model.model_fields[field]
    alias = info.validation_alias
    if isinstance(alias, str):
        return alias.upper()
    prefix = str(model.model_config.get("env_prefix") or "")
    return f"{prefix}{field}".upper()
