"""Data directories written by earlier versions open, serve and change their files as before."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path

import pytest
from local_service import API_KEY, make_config, running_service

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.files import FileNotFound, NewFile
from dashboard.local_filestack.storage.migrate import upgrade_data_dir

#: The records table of the single-machine layout before blobs were named.
LEGACY_FILES_SCHEMA = """
CREATE TABLE files (
    handle TEXT PRIMARY KEY, filename TEXT NOT NULL, mimetype TEXT NOT NULL, size INTEGER NOT NULL,
    key TEXT NOT NULL, container TEXT NOT NULL, location TEXT NOT NULL, path TEXT, uploaded REAL NOT NULL,
    width INTEGER, height INTEGER, md5 TEXT NOT NULL, sha256 TEXT NOT NULL, access TEXT NOT NULL
)
"""
LEGACY_FILES = {"LegacyFileAAAAAAAAAA": b"first photo bytes", "LegacyFileBBBBBBBBBB": b"second photo"}


def write_legacy_data_dir(data_dir: Path) -> None:
    """What the single-machine storage wrote: ``files/<handle>`` and ``metadata.sqlite3`` rows."""
    (data_dir / "files").mkdir(parents=True)
    (data_dir / "files" / ".tmp-left-by-a-crash").write_bytes(b"half")
    with sqlite3.connect(data_dir / "metadata.sqlite3") as conn:
        conn.execute(LEGACY_FILES_SCHEMA)
        for handle, data in LEGACY_FILES.items():
            (data_dir / "files" / handle).write_bytes(data)
            conn.execute(
                "INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?)",
                (
                    handle,
                    "photo.txt",
                    "text/plain",
                    len(data),
                    f"{handle}_photo.txt",
                    "local-filestack",
                    "S3",
                    time.time(),
                    hashlib.md5(data).hexdigest(),
                    hashlib.sha256(data).hexdigest(),
                    "private",
                ),
            )


def test_a_legacy_data_dir_keeps_every_file_readable_changeable_and_deletable(tmp_path: Path) -> None:
    write_legacy_data_dir(tmp_path)
    storage = open_storage(tmp_path, DeploymentSettings())
    first, second = LEGACY_FILES
    for handle, data in LEGACY_FILES.items():
        assert storage.read(handle) == data
        assert storage.get(handle).sha256 == hashlib.sha256(data).hexdigest()
    changed = storage.overwrite(first, NewFile(data=b"a new first", filename="", mimetype="text/plain"))
    assert changed.key == f"{first}_photo.txt" and storage.read(first) == b"a new first"
    assert not (tmp_path / "files" / first).exists(), "the legacy bytes were not removed after the overwrite"
    assert storage.delete(second) is True
    assert not (tmp_path / "files" / second).exists()
    with pytest.raises(FileNotFound):
        storage.read(second)
    added = storage.put(NewFile(data=b"after the upgrade", filename="n.txt", mimetype="text/plain"))
    storage.close()

    again = open_storage(tmp_path, DeploymentSettings())  # upgrading twice changes nothing
    assert again.read(first) == b"a new first" and again.read(added.handle) == b"after the upgrade"
    assert upgrade_data_dir(tmp_path) == 0


async def test_the_service_serves_a_legacy_data_dir(tmp_path: Path) -> None:
    write_legacy_data_dir(tmp_path)
    async with running_service(make_config(tmp_path)) as (_service, client):
        for handle, data in LEGACY_FILES.items():
            answer = await client.get(f"/cdn/{API_KEY}/{handle}")
            assert answer.status_code == 200 and answer.content == data
        metadata = await client.get(
            f"/www/api/file/{next(iter(LEGACY_FILES))}/metadata", params={"key": API_KEY}
        )
        assert metadata.json()["filename"] == "photo.txt"


def test_records_of_a_legacy_objects_database_move_to_the_one_index(tmp_path: Path) -> None:
    elsewhere = tmp_path / "blobs"
    deployment = DeploymentSettings(storage_url=f"file://{elsewhere}")
    first = open_storage(tmp_path / "old", deployment)
    stored = first.put(NewFile(data=b"kept elsewhere", filename="e.txt", mimetype="text/plain"))
    blob = first.index.get(stored.handle)[1]  # type: ignore[index]
    first.close()
    # What that mode wrote before: the same records in objects.sqlite3 (table objects).
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with (
        sqlite3.connect(data_dir / "objects.sqlite3") as conn,
        sqlite3.connect(tmp_path / "old" / "metadata.sqlite3") as old,
    ):
        columns = [row[1] for row in old.execute("PRAGMA table_info(files)")]
        conn.execute(f"CREATE TABLE objects ({', '.join(columns)})")
        for row in old.execute(f"SELECT {', '.join(columns)} FROM files"):
            conn.execute(f"INSERT INTO objects VALUES ({', '.join('?' * len(columns))})", row)

    storage = open_storage(data_dir, deployment)
    assert storage.read(stored.handle) == b"kept elsewhere"
    assert storage.index.get(stored.handle)[1] == blob  # type: ignore[index]
    assert not (data_dir / "objects.sqlite3").exists() and (data_dir / "objects.sqlite3.migrated").exists()
