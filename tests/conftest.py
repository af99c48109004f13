"""Test-wide set-up: an empty database file per test session, never the developer's own."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_DB_DIR = Path(tempfile.mkdtemp(prefix="dashboard-tests-"))
os.environ.setdefault("DATABASE_URL", f"sqlite:///{_DB_DIR / 'dashboard.db'}")
os.environ.setdefault("DATA_DIR", str(_DB_DIR / "local_filestack"))
os.environ.pop("FILESTACK_API_KEY", None)
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Run the browser tests last, after the cluster tests.

    Their session-wide sync Playwright keeps an event loop running in the main thread until the
    session ends, which async tests (and another sync Playwright) cannot run under.
    """

    def rank(item: pytest.Item) -> int:
        if item.get_closest_marker("browser") is not None:
            return 2
        return 1 if item.get_closest_marker("distributed") is not None else 0

    items.sort(key=rank)
