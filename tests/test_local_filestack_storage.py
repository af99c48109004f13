"""Storage, as every mode runs it: bytes by blob name, records in SQLite (here), atomic writes."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage import atomic
from dashboard.local_filestack.storage.factory import open_storage
from dashboard.local_filestack.storage.files import FileNotFound, NewFile, StorageFull, new_handle
from dashboard.local_filestack.storage.store import Storage


def text(data: bytes, filename: str = "f", **where: object) -> NewFile:
    return NewFile(data=data, filename=filename, mimetype="text/plain", **where)  # type: ignore[arg-type]


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return open_storage(tmp_path, DeploymentSettings())


def blob_files(data_dir: Path) -> list[str]:
    return sorted(path.name for path in (data_dir / "files").iterdir())


def records(data_dir: Path) -> int:
    with sqlite3.connect(data_dir / "metadata.sqlite3") as conn:
        return int(conn.execute("SELECT COUNT(*) FROM files").fetchone()[0])


def test_new_handle_shape() -> None:
    handles = {new_handle() for _ in range(200)}
    assert len(handles) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", h) for h in handles)


def test_put_get_read_roundtrip(storage: Storage, tmp_path: Path) -> None:
    stored = storage.put(text(b"hello world", "greeting.txt"))
    assert storage.read(stored.handle) == b"hello world"
    again = storage.get(stored.handle)
    assert again == stored
    assert again.size == 11
    assert again.md5 == hashlib.md5(b"hello world").hexdigest()
    assert again.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert again.key == f"{stored.handle}_greeting.txt"
    assert again.location == "S3" and again.access == "private"
    (blob,) = blob_files(tmp_path)
    assert blob.startswith(f"{stored.handle}.") and (tmp_path / "files" / blob).read_bytes() == b"hello world"


def test_metadata_survives_a_new_storage_object(tmp_path: Path) -> None:
    stored = open_storage(tmp_path, DeploymentSettings()).put(
        NewFile(data=b"x", filename="a.bin", mimetype="application/octet-stream", width=3, height=4)
    )
    reopened = open_storage(tmp_path, DeploymentSettings()).get(stored.handle)
    assert (reopened.width, reopened.height) == (3, 4)


@pytest.mark.parametrize(
    "path, expected",
    [
        (None, "{h}_photo.png"),
        ("myfiles/", "myfiles/{h}_photo.png"),
        ("/myfiles/deep/", "myfiles/deep/{h}_photo.png"),
        ("myfiles/1234.png", "myfiles/1234.png"),
    ],
)
def test_key_semantics(storage: Storage, path: str | None, expected: str) -> None:
    stored = storage.put(
        NewFile(data=b"png", filename="photo.png", mimetype="image/png", path=path, container="bucket")
    )
    assert stored.key == expected.format(h=stored.handle)
    assert stored.container == "bucket"
    assert stored.path == path


@pytest.mark.parametrize(
    "given, kept",
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\evil.exe", "evil.exe"),
        ("bad\x00na\x1bme\n.txt", "badname.txt"),
        ("фото 📷.jpg", "фото 📷.jpg"),
        ("..", "untitled"),
        ("", "untitled"),
    ],
)
def test_filenames_are_sanitised_and_never_used_on_disk(
    storage: Storage, tmp_path: Path, given: str, kept: str
) -> None:
    stored = storage.put(text(b"data", given))
    assert stored.filename == kept
    assert [name.split(".")[0] for name in blob_files(tmp_path)] == [stored.handle]


def test_unknown_and_malformed_handles(storage: Storage) -> None:
    for handle in ("A" * 20, "../../metadata.sqlite3", "short"):
        with pytest.raises(FileNotFound):
            storage.get(handle)
        with pytest.raises(FileNotFound):
            storage.read(handle)
        assert storage.delete(handle) is False


def test_delete(storage: Storage, tmp_path: Path) -> None:
    stored = storage.put(text(b"bye"))
    assert storage.delete(stored.handle) is True
    assert blob_files(tmp_path) == []
    with pytest.raises(FileNotFound):
        storage.get(stored.handle)
    assert storage.delete(stored.handle) is False


def test_overwrite_keeps_handle_and_name(storage: Storage, tmp_path: Path) -> None:
    stored = storage.put(text(b"old", "doc.txt"))
    updated = storage.overwrite(stored.handle, text(b"new content"))
    assert updated.handle == stored.handle and updated.key == stored.key and updated.filename == "doc.txt"
    assert updated.size == 11 and updated.sha256 != stored.sha256
    assert storage.read(stored.handle) == b"new content"
    assert storage.get(stored.handle) == updated
    assert len(blob_files(tmp_path)) == 1, "the old bytes were not removed"
    with pytest.raises(FileNotFound):
        storage.overwrite("B" * 20, text(b"x"))


def test_chosen_handle(storage: Storage) -> None:
    handle = new_handle()
    assert storage.put(text(b"x"), handle=handle).handle == handle
    with pytest.raises(ValueError):
        storage.put(text(b"y"), handle=handle)
    assert storage.read(handle) == b"x"
    with pytest.raises(ValueError):
        storage.put(text(b"y"), handle="../escape")


def test_disk_full_becomes_storage_full_and_leaves_nothing(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", no_space)
    with pytest.raises(StorageFull) as caught:
        storage.put(text(b"x" * 1000))
    assert "no space" in str(caught.value)
    assert blob_files(tmp_path) == []
    assert records(tmp_path) == 0


def test_a_full_database_keeps_no_bytes_without_their_record(
    storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object) -> bool:
        raise StorageFull("no space left on the storage disk for metadata.sqlite3")

    monkeypatch.setattr(storage.index, "insert", full)
    with pytest.raises(
        StorageFull, match="no space left on the storage disk for the record of a 4-byte file"
    ):
        storage.put(text(b"abcd"))
    assert blob_files(tmp_path) == []


def test_no_row_without_blob(storage: Storage, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(_src: str, _dst: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        storage.put(text(b"x"))
    assert records(tmp_path) == 0
    assert blob_files(tmp_path) == []


def test_concurrent_use_from_threads(storage: Storage, tmp_path: Path) -> None:
    payloads = [os.urandom(2048) for _ in range(40)]

    def roundtrip(data: bytes) -> bool:
        stored = storage.put(NewFile(data=data, filename="r.bin", mimetype="application/octet-stream"))
        ok = storage.read(stored.handle) == data
        return ok and storage.delete(stored.handle)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(roundtrip, payloads))
    assert blob_files(tmp_path) == []
