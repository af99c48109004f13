"""The activity panel's rows: what each thumbnail's text alternative says."""

from __future__ import annotations

import time

from dashboard.models import JobStatus
from dashboard.state.activity import day_and_time, thumb_alt

NOV_29_14_02 = time.mktime((2026, 11, 29, 14, 2, 0, 0, 0, -1))


def test_a_thumbnail_says_which_photo_what_happened_and_when() -> None:
    assert day_and_time(NOV_29_14_02) == "29 Nov 2026 14:02"
    assert (
        thumb_alt("avatar", JobStatus.FINISHED, NOV_29_14_02 - 5, NOV_29_14_02)
        == "Profile picture saved 29 Nov 2026 14:02"
    )
    assert (
        thumb_alt("cover", JobStatus.FAILED, NOV_29_14_02 - 5, NOV_29_14_02)
        == "Cover photo failed 29 Nov 2026 14:02"
    )
    assert (
        thumb_alt("cover", JobStatus.PROCESSING, NOV_29_14_02, None)
        == "Cover photo processing since 29 Nov 2026 14:02"
    )
    assert (
        thumb_alt("avatar", JobStatus.SUPERSEDED, NOV_29_14_02, None)
        == "Profile picture replaced 29 Nov 2026 14:02"
    )
