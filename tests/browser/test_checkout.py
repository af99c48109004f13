"""Running the app leaves the checkout as it was: ``git status`` stays clean for tracked files.

``reflex run`` writes ``reflex.lock/package.json`` (and ``bun.lock``) back on every start, in the
form it renders them; the committed files must already be exactly that.
"""

from __future__ import annotations

import pytest

from tests.browser.conftest import tracked_changes

pytestmark = pytest.mark.browser


def test_running_the_app_changes_no_tracked_file(running_app) -> None:
    assert tracked_changes() == running_app.tracked_before, (
        "`reflex run` changed tracked files (compare `git diff`); commit them in the form it writes"
    )
