"""Storage: blobs on disk by handle, metadata in SQLite, atomic writes."""

from __future__ import annotations

import errno
import hashlib
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dashboard.local_filestack.storage import files as storage_module
from dashboard.local_filestack.storage.files import FileNotFound, FileStorage as Storage, StorageFull, new_handle


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return Storage(tmp_path)


def test_new_handle_shape() -> None:
    handles = {new_handle() for _ in range(200)}
    assert len(handles) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{20}", h) for h in handles)


def test_put_get_read_roundtrip(storage: Storage) -> None:
    stored = storage.put(b"hello world", filename="greeting.txt", mimetype="text/plain")
    assert storage.read(stored.handle) == b"hello world"
    again = storage.get(stored.handle)
    assert again == stored
    assert again.size == 11
    assert again.md5 == hashlib.md5(b"hello world").hexdigest()
    assert again.sha256 == hashlib.sha256(b"hello world").hexdigest()
    assert again.key == f"{stored.handle}_greeting.txt"
    assert again.location == "S3" and again.access == "private"
    assert storage.blob_path(stored.handle) == storage.files_dir / stored.handle


def test_metadata_survives_a_new_storage_object(tmp_path: Path) -> None:
    stored = Storage(tmp_path).put(b"x", filename="a.bin", mimetype="application/octet-stream", width=3, height=4)
    reopened = Storage(tmp_path).get(stored.handle)
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
    stored = storage.put(b"png", filename="photo.png", mimetype="image/png", path=path, container="bucket")
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
def test_filenames_are_sanitised_and_never_used_on_disk(storage: Storage, given: str, kept: str) -> None:
    stored = storage.put(b"data", filename=given, mimetype="text/plain")
    assert stored.filename == kept
    assert sorted(p.name for p in storage.files_dir.iterdir()) == [stored.handle]


def test_unknown_and_malformed_handles(storage: Storage) -> None:
    for handle in ("A" * 20, "../../metadata.sqlite3", "short"):
        with pytest.raises(FileNotFound):
            storage.get(handle)
        with pytest.raises(FileNotFound):
            storage.read(handle)
        assert storage.delete(handle) is False


def test_delete(storage: Storage) -> None:
    stored = storage.put(b"bye", filename="f", mimetype="text/plain")
    assert storage.delete(stored.handle) is True
    assert not storage.blob_path(stored.handle).exists()
    with pytest.raises(FileNotFound):
        storage.get(stored.handle)
    assert storage.delete(stored.handle) is False


def test_overwrite_keeps_handle_and_name(storage: Storage) -> None:
    stored = storage.put(b"old", filename="doc.txt", mimetype="text/plain")
    updated = storage.overwrite(stored.handle, b"new content", "text/plain", None, None)
    assert updated.handle == stored.handle and updated.key == stored.key and updated.filename == "doc.txt"
    assert updated.size == 11 and updated.sha256 != stored.sha256
    assert storage.read(stored.handle) == b"new content"
    with pytest.raises(FileNotFound):
        storage.overwrite("B" * 20, b"x", "text/plain", None, None)


def test_chosen_handle(storage: Storage) -> None:
    handle = new_handle()
    assert storage.put(b"x", filename="f", mimetype="text/plain", handle=handle).handle == handle
    with pytest.raises(ValueError):
        storage.put(b"y", filename="f", mimetype="text/plain", handle=handle)
    assert storage.read(handle) == b"x"
    with pytest.raises(ValueError):
        storage.put(b"y", filename="f", mimetype="text/plain", handle="../escape")


def test_disk_full_becomes_storage_full_and_leaves_nothing(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(_fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage_module.os, "fsync", no_space)
    with pytest.raises(StorageFull) as caught:
        storage.put(b"x" * 1000, filename="f", mimetype="text/plain")
    assert "no space" in str(caught.value)
    assert list(storage.files_dir.iterdir()) == []
    count = storage._connect().execute("SELECT COUNT(*) FROM files").fetchone()[0]
    assert count == 0


def test_no_row_without_blob(storage: Storage, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_replace(_src: str, _dst: object) -> None:
        raise OSError(errno.EIO, "I/O error")

    monkeypatch.setattr(storage_module.os, "replace", broken_replace)
    with pytest.raises(OSError):
        storage.put(b"x", filename="f", mimetype="text/plain")
    assert storage._connect().execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0
    assert list(storage.files_dir.iterdir()) == []


def test_concurrent_use_from_threads(storage: Storage) -> None:
    payloads = [os.urandom(2048) for _ in range(40)]

    def roundtrip(data: bytes) -> bool:
        stored = storage.put(data, filename="r.bin", mimetype="application/octet-stream")
        ok = storage.read(stored.handle) == data
        return ok and storage.delete(stored.handle)

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert all(pool.map(roundtrip, payloads))
    assert list(storage.files_dir.iterdir()) == []
