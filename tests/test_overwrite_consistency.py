"""An overwrite keeps a file's record and bytes a pair, whatever the metadata database does."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from dashboard.local_filestack.storage.blobs import LocalBlobs
from dashboard.local_filestack.storage.files import NewFile, StorageFull
from dashboard.local_filestack.storage.index import FileIndex
from dashboard.local_filestack.storage.sql import SqliteDatabase
from dashboard.local_filestack.storage.store import Storage
from tests.local_service import SECRET, image_bytes, make_config, running_service, upload


def text_file(data: bytes) -> NewFile:
    return NewFile(data=data, filename="a.txt", mimetype="text/plain")


class _CommitFails:
    """A connection on which the next COMMIT (the overwrite's: other writes of the index are single
    statements) fails as on a full disk, leaving the transaction open as SQLite may."""

    armed = True

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def execute(self, sql: str, *args: Any) -> Any:
        if sql.strip().upper() == "COMMIT" and _CommitFails.armed:
            _CommitFails.armed = False
            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def pairs(storage: Storage, folder: Path) -> list[tuple[str, bool]]:
    """Each record with whether its bytes exist and match its checksum; then the blobs nobody names."""
    found = []
    for (handle,) in storage.index.db.query("SELECT handle FROM files"):
        record, blob = storage.index.get(handle)
        path = folder / blob
        found.append(
            (handle, path.exists() and hashlib.sha256(path.read_bytes()).hexdigest() == record.sha256)
        )
    return found


def test_an_overwrite_hitting_a_full_database_keeps_the_old_pair_and_the_next_one_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "files"
    database = SqliteDatabase(tmp_path / "metadata.sqlite3")
    storage = Storage(LocalBlobs(folder), FileIndex(database))
    stored = storage.put(text_file(b"old bytes"))
    _CommitFails.armed = True
    real_connect = SqliteDatabase._connect
    monkeypatch.setattr(SqliteDatabase, "_connect", lambda self: _CommitFails(real_connect(self)))
    with pytest.raises(StorageFull, match="no space left"):
        storage.overwrite(stored.handle, text_file(b"new bytes that found no room"))
    # the same thread (and its connection) reads the old pair, as everyone else does
    assert storage.read(stored.handle) == b"old bytes"
    assert storage.get(stored.handle).size == len(b"old bytes")
    assert pairs(storage, folder) == [(stored.handle, True)]
    assert len(list(folder.iterdir())) == 1, "the new bytes were left behind"
    # the database has room again: the connection is not stuck in the failed transaction
    replaced = storage.overwrite(stored.handle, text_file(b"newer"))
    assert storage.read(stored.handle) == b"newer" and replaced.size == 5
    assert pairs(storage, folder) == [(stored.handle, True)]
    assert len(list(folder.iterdir())) == 1
    storage.close()


class _AnswerLost(FileIndex):
    """An index whose replace is committed and then fails (the connection dropped on the answer)."""

    def replace(self, record: Any, blob: str) -> str | None:
        super().replace(record, blob)
        raise ConnectionError("server closed the connection unexpectedly")


def test_an_overwrite_committed_before_its_error_keeps_the_new_pair(tmp_path: Path) -> None:
    folder = tmp_path / "files"
    storage = Storage(LocalBlobs(folder), _AnswerLost(SqliteDatabase(tmp_path / "metadata.sqlite3")))
    stored = storage.put(text_file(b"old"))
    storage.overwrite(stored.handle, text_file(b"new"))
    assert storage.read(stored.handle) == b"new"
    assert pairs(storage, folder) == [(stored.handle, True)]
    assert len(list(folder.iterdir())) == 1, "the old bytes were left behind"
    storage.close()


async def test_the_file_api_answers_507_and_serves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_service(make_config(tmp_path / "data")) as (service, client):
        original = image_bytes(60, 40)
        handle = (await upload(client, original)).json()["handle"]
        _CommitFails.armed = True
        database = service.storage.index.db
        real_connect = type(database)._connect
        monkeypatch.setattr(type(database), "_connect", lambda self: _CommitFails(real_connect(self)))
        refused = await client.post(
            f"/www/api/file/{handle}", content=image_bytes(30, 20), auth=("app", SECRET)
        )
        assert refused.status_code == 507, refused.text
        assert "no space left" in refused.json()["error"]
        for _ in range(4):  # whichever thread answers
            served = await client.get(f"/cdn/{handle}")
            assert served.status_code == 200 and served.content == original
