"""In production the backend serves the built pages itself: each carries the security headers."""

from __future__ import annotations

import pytest

from .conftest import Cluster, client

pytestmark = pytest.mark.distributed


def test_the_built_pages_carry_the_security_headers(cluster: Cluster) -> None:
    with client(cluster) as http:
        for path in ("/", "/login", "/signup", "/profile", "/u/nobody-here"):
            page = http.get(path, follow_redirects=True)
            assert page.status_code == 200 and "<html" in page.text.lower(), path
            policy = page.headers.get("content-security-policy", "")
            assert "frame-ancestors 'none'" in policy and "ws://localhost:" in policy, (path, policy)
            assert page.headers.get("referrer-policy") == "strict-origin-when-cross-origin", path
            assert page.headers.get("x-content-type-options") == "nosniff", path
