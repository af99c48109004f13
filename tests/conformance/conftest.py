"""Session fixtures: one service process, one host-mapping proxy and one origin for all tests here."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Conformance, node_modules_ready, start_conformance


@pytest.fixture(scope="session")
def fs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Conformance]:
    """The running harness (service process, TLS proxy, loopback origin, a thumbnail workflow)."""
    yield from start_conformance(tmp_path_factory.mktemp("conformance"))


@pytest.fixture(scope="session")
def node_sdk(fs: Conformance) -> Conformance:
    """The harness, once the pinned filestack-js is installed (a clear failure otherwise, never a skip)."""
    problem = node_modules_ready()
    if problem is not None:
        pytest.fail(problem)
    return fs
