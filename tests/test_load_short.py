"""The load test, shortened for CI: 10 uploaders and 40 status pollers for 10 s, no error allowed.

The full run (50 + 200 for 60 s) is ``make load`` (part of ``make bench``); its numbers are in
``docs/load.md``.
"""

from __future__ import annotations

from bench.load_test import report, run_load


def test_short_load_every_upload_ends_with_its_final_file_and_no_error() -> None:
    result = run_load(uploads=10, pollers=40, duration_s=10, photo_size=(2000, 1500))
    print(report(result))
    assert result.errors == [], result.errors[:10]
    assert result.finished_photos >= 10, result.summary()
    assert result.finals_verified == result.finished_photos, result.summary()
    assert len(result.latencies["status (poller)"]) > 100, result.summary()
