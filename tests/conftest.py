"""Test-wide set-up: throwaway resources, and under ``CI=true`` no test may skip.

Whatever the developer's shell or ``.env`` says, the tests use a database file, a data
directory and no Redis, S3 or Filestack account of their own. The variables are set here,
not defaulted: a value in the environment wins over ``.env`` (pydantic-settings and Reflex
both read the environment first), and every subprocess a test starts inherits it. A blank
value means "unset" to the app, the service and Reflex alike.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRATCH = Path(tempfile.mkdtemp(prefix="dashboard-tests-"))

#: Every variable that points the app, the service or Reflex at something a developer may
#: care about, and what the tests use instead.
THROWAWAY = {
    "DATABASE_URL": f"sqlite:///{SCRATCH / 'dashboard.db'}",
    "DB_URL": "",
    "REFLEX_DB_URL": "",
    "DATA_DIR": str(SCRATCH / "local_filestack"),
    "REDIS_URL": "",
    "REFLEX_REDIS_URL": "",
    "STORAGE_URL": "",
    "S3_ENDPOINT_URL": "",
    "WORKFLOW_WORKERS": "inprocess",
    "FILESTACK_API_KEY": "",
    "FILESTACK_APP_SECRET": "",
}
os.environ.update(THROWAWAY)
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")

#: ``CI=true`` (as CI services set it): a test that cannot run fails instead of skipping.
IN_CI = os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


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


def _skip_reason(longrepr: object) -> str:
    """The reason pytest recorded for a skip (a (path, line, reason) tuple)."""
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2])
    return str(longrepr)


def _fail_instead_of_skip(report: pytest.CollectReport | pytest.TestReport) -> None:
    reason = _skip_reason(report.longrepr).removeprefix("Skipped: ")
    report.outcome = "failed"
    report.longrepr = f"skipped under CI=true, where every test must run: {reason}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under ``CI=true`` a skipped test (a missing server, browser or package) is a failure."""
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        _fail_instead_of_skip(report)


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Iterator[None]:
    """The same for a whole module skipped while it is collected."""
    outcome = yield
    report: pytest.CollectReport = outcome.get_result()
    if IN_CI and report.skipped:
        _fail_instead_of_skip(report)
