"""Backup while the app and the service write, restore into a fresh installation, everything served.

The service runs as a real process (``python -m dashboard.local_filestack``) taking uploads, and the
app's database takes profile edits, while ``python -m dashboard.backup backup`` runs; the archive is
restored with ``python -m dashboard.backup restore`` into an empty data dir and database, and a
service started there serves every file acknowledged before the backup began, the profile's photo
included.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Self

import httpx
import pytest
from app_env import clear_tables
from local_service import image_bytes
from service_process import ROOT, ServiceProcess

from dashboard import profile_store
from dashboard.accounts import store


def run_backup_command(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``python -m dashboard.backup ARGS`` as ``make backup``/``make restore`` run it."""
    return subprocess.run(
        [sys.executable, "-m", "dashboard.backup", *args],
        check=False,
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


class Writers:
    """Uploads to the service and profile edits in the app's database, until stopped."""

    def __init__(self, service: ServiceProcess, owner_id: int) -> None:
        self.service = service
        self.owner_id = owner_id
        self.stored: dict[str, bytes] = {}  # acknowledged uploads: handle -> bytes
        self.headlines: list[str] = []  # saved headlines, in order
        self.stop = threading.Event()
        self.errors: list[BaseException] = []
        self.threads = [threading.Thread(target=self._upload), threading.Thread(target=self._edit)]

    def _upload(self) -> None:
        key = self.service.credentials["api_key"]
        number = 0
        with httpx.Client(base_url=self.service.url, timeout=30) as http:
            while not self.stop.is_set():
                number += 1
                body = image_bytes(64, 48, color=(number % 256, 80, 160))
                try:
                    answer = http.post("/www/api/store/S3", params={"key": key}, content=body)
                    answer.raise_for_status()
                except httpx.HTTPError as err:
                    self.errors.append(err)
                    return
                self.stored[answer.json()["handle"]] = body

    def _edit(self) -> None:
        number = 0
        while not self.stop.is_set():
            number += 1
            headline = f"edit {number}"
            profile_store.update_profile(self.owner_id, headline=headline)
            self.headlines.append(headline)

    def __enter__(self) -> Self:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=60)


@contextlib.contextmanager
def running(data_dir: Path) -> Iterator[ServiceProcess]:
    service = ServiceProcess(data_dir)
    with service:
        yield service


def restored_profile(database: Path, owner_id: int) -> tuple[str, str]:
    assert database.is_file(), "the app's database was not restored"
    with contextlib.closing(sqlite3.connect(database)) as conn:
        row = conn.execute(
            "SELECT headline, avatar_handle FROM profile WHERE owner_id = ?", (owner_id,)
        ).fetchone()
    assert row is not None, "the restored database has no profile for the account"
    return str(row[0]), str(row[1])


def test_backup_while_writing_then_restore_serves_the_profile_and_every_file(tmp_path: Path) -> None:
    clear_tables()
    data_dir = tmp_path / "live" / "local_filestack"
    archives = tmp_path / "backups"
    account = store.create_account("backed-up", "correct horse battery staple", ttl_s=3600).account
    profile_store.create_profile(account.account_id, account.username)
    live_env = {"DATA_DIR": str(data_dir), "DATABASE_URL": os.environ["DATABASE_URL"]}

    with running(data_dir) as service:
        key = service.credentials["api_key"]
        avatar = image_bytes(120, 120, color=(10, 200, 30))
        handle = httpx.post(f"{service.url}/www/api/store/S3", params={"key": key}, content=avatar).json()[
            "handle"
        ]
        profile_store.set_photo(account.account_id, "avatar", f"{service.url}/cdn/{handle}", handle)
        with Writers(service, account.account_id) as writers:
            while len(writers.stored) < 5 or len(writers.headlines) < 5:  # writes are flowing
                assert not writers.errors, writers.errors
            before = dict(writers.stored)
            headline_before = len(writers.headlines)
            made = run_backup_command("backup", "--to", str(archives), env=live_env)
            during = len(writers.stored) - len(before)
        assert not writers.errors, writers.errors
        assert made.returncode == 0, made.stderr
        assert during > 0, "no upload happened while the backup ran: the test proved nothing"

        (archive,) = archives.glob("profile-studio-*.tar.gz")
        assert oct(archive.stat().st_mode & 0o777) == "0o600"  # it holds the app secret
        with tarfile.open(archive) as tar:
            names = tar.getnames()
        assert "manifest.json" in names and f"data/{'metadata.sqlite3'}" in names

        refused = run_backup_command("restore", str(archive), "--force", env=live_env)
        assert refused.returncode == 1
        assert "InstallationRunning" in refused.stderr and str(service.process.pid) in refused.stderr

    fresh = tmp_path / "fresh"
    fresh_env = {
        "DATA_DIR": str(fresh / "local_filestack"),
        "DATABASE_URL": f"sqlite:///{fresh / 'dashboard.db'}",
    }
    restored = run_backup_command("restore", str(archive), env=fresh_env)
    assert restored.returncode == 0, restored.stderr

    headline, avatar_handle = restored_profile(fresh / "dashboard.db", account.account_id)
    assert avatar_handle == handle
    assert int(headline.removeprefix("edit ")) >= headline_before

    with running(fresh / "local_filestack") as again, httpx.Client(base_url=again.url, timeout=30) as http:
        assert again.credentials["api_key"] == key  # the same key: signed URLs keep working
        assert http.get(f"/cdn/{avatar_handle}").content == avatar
        for stored, body in before.items():
            served = http.get(f"/cdn/{stored}")
            assert served.status_code == 200 and served.content == body, stored
        with contextlib.closing(sqlite3.connect(fresh / "local_filestack" / "metadata.sqlite3")) as conn:
            listed = [row[0] for row in conn.execute("SELECT handle FROM files")]
        assert len(listed) >= len(before) + 1
        for listed_handle in listed:  # no record without its bytes
            assert http.get(f"/cdn/{listed_handle}").status_code == 200, listed_handle

    again_refused = run_backup_command("restore", str(archive), env=fresh_env)
    assert again_refused.returncode == 1 and "ExistingData" in again_refused.stderr
    forced = run_backup_command("restore", str(archive), "--force", env=fresh_env)
    assert forced.returncode == 0, forced.stderr
    assert list(fresh.glob("dashboard.db.replaced-*")), "the replaced database was not kept aside"


def test_restore_refuses_what_is_not_a_backup(tmp_path: Path) -> None:
    bogus = tmp_path / "profile-studio-20260101T000000Z.tar.gz"
    bogus.write_bytes(b"not a tar")
    env = {"DATA_DIR": str(tmp_path / "fs"), "DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}
    answer = run_backup_command("restore", str(bogus), env=env)
    assert answer.returncode == 1 and "ArchiveInvalid" in answer.stderr
    assert not (tmp_path / "fs").exists() and not (tmp_path / "app.db").exists()


@pytest.mark.parametrize("variable", ["DATABASE_URL", "STORAGE_URL"])
def test_the_distributed_mode_is_pointed_at_pg_dump_and_a_bucket_copy(tmp_path: Path, variable: str) -> None:
    value = "postgresql://u@127.0.0.1:1/db" if variable == "DATABASE_URL" else "s3://bucket"
    answer = run_backup_command("backup", "--to", str(tmp_path), env={variable: value})
    assert answer.returncode == 1 and "DistributedMode" in answer.stderr and "pg_dump" in answer.stderr
    assert not list(tmp_path.iterdir())
