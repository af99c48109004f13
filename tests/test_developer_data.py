"""The suite never touches a developer's own database, data directory or Redis.

A developer may have ``DATABASE_URL``, ``DATA_DIR`` and ``REDIS_URL`` exported for the app; the
tests that clear the profile tables must clear their own throwaway copies, not those.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from scale_support import ROOT, free_port

#: A test that empties the profile and photo-job tables, then saves a profile.
CLEARS_THE_TABLES = "tests/test_photo_jobs.py::test_avatar_flow_saves_final_file_then_deletes_original"


def test_the_tests_leave_the_developers_database_data_dir_and_redis_alone(tmp_path: Path) -> None:
    database = tmp_path / "mine.db"
    with sqlite3.connect(database) as conn:
        conn.execute("CREATE TABLE profile (id INTEGER PRIMARY KEY, name TEXT)")
        conn.execute("INSERT INTO profile (name) VALUES ('my real profile')")
    conn.close()
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    data_dir = tmp_path / "my-data"
    data_dir.mkdir()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{database}",
        "DATA_DIR": str(data_dir),
        # Nothing listens there: a test that used it would fail.
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", CLEARS_THE_TABLES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "1 passed" in run.stdout
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    assert list(data_dir.iterdir()) == []
