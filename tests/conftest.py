"""Test-wide set-up: an empty database file per test session, never the developer's own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_DB_DIR = Path(tempfile.mkdtemp(prefix="dashboard-tests-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_DB_DIR / 'dashboard.db'}")
os.environ.setdefault("DATA_DIR", str(_DB_DIR / "local_filestack"))
os.environ.pop("FILESTACK_API_KEY", None)
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
