"""The one storage on every combination of parts: bytes in a directory or in S3 (moto's server as a
stand-in), records in SQLite or PostgreSQL, each held to the same promises."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from scale_support import postgres_schema, s3_environment

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.files import FileNotFound, HandleInUse, NewFile, new_handle
from dashboard.local_filestack.storage.store import Storage


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_environment() as endpoint:
        yield endpoint


@pytest.fixture(params=["file+sqlite", "file+postgres", "s3+sqlite", "s3+postgres"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    from dashboard.local_filestack.storage.factory import open_storage

    blobs, records = request.param.split("+")
    values: dict[str, object] = {"storage_url": f"file://{tmp_path / 'blobs'}"}
    if blobs == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        values = {
            "storage_url": f"s3://bucket-{new_handle().lower().replace('_', 'x').replace('-', 'y')}",
            "s3_endpoint_url": endpoint,
        }
    if records == "postgres":
        with postgres_schema() as dsn:
            yield open_storage(tmp_path, DeploymentSettings(database_url=dsn, **values))
        return
    yield open_storage(tmp_path, DeploymentSettings(**values))


def test_the_default_keeps_bytes_and_records_in_the_data_dir(tmp_path: Path) -> None:
    from dashboard.local_filestack.storage.factory import open_storage

    stored = open_storage(tmp_path, DeploymentSettings()).put(blob(b"here"))
    assert [path.name.split(".")[0] for path in (tmp_path / "files").iterdir()] == [stored.handle]
    assert (tmp_path / "metadata.sqlite3").exists()


def blob(data: bytes, filename: str = "x.bin", **where: object) -> NewFile:
    return NewFile(data=data, filename=filename, mimetype="application/octet-stream", **where)  # type: ignore[arg-type]


def test_put_get_read_overwrite_delete(storage: Storage) -> None:
    assert isinstance(storage, Storage)
    stored = storage.put(
        NewFile(data=b"hello", filename="../a/b.txt", mimetype="text/plain", path="docs/", width=1, height=2)
    )
    assert stored.filename == "b.txt" and stored.key == f"docs/{stored.handle}_b.txt"
    assert storage.get(stored.handle) == stored
    assert storage.read(stored.handle) == b"hello"
    changed = storage.overwrite(stored.handle, NewFile(data=b"bye!", filename="", mimetype="text/plain"))
    assert changed.size == 4 and changed.sha256 == hashlib.sha256(b"bye!").hexdigest()
    assert storage.read(stored.handle) == b"bye!" and storage.get(stored.handle).filename == "b.txt"
    assert storage.delete(stored.handle) is True
    assert storage.delete(stored.handle) is False
    with pytest.raises(FileNotFound):
        storage.get(stored.handle)
    with pytest.raises(FileNotFound):
        storage.read(stored.handle)
    with pytest.raises(FileNotFound):
        storage.overwrite(stored.handle, blob(b"x"))
    for bad in ("../../etc/passwd", "short", ""):
        with pytest.raises(FileNotFound):
            storage.get(bad)
        assert storage.delete(bad) is False


def test_a_chosen_handle_is_stored_once(storage: Storage) -> None:
    handle = new_handle()
    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(lambda n: _put_or_taken(storage, handle, n), range(8)))
    winners = [outcome for outcome in outcomes if outcome is not None]
    assert len(winners) == 1
    assert storage.read(handle) == f"copy {winners[0]}".encode()


def _put_or_taken(storage: Storage, handle: str, number: int) -> int | None:
    try:
        storage.put(blob(f"copy {number}".encode()), handle=handle)
    except HandleInUse:
        return None
    return number


def test_concurrent_deletes_delete_once(storage: Storage) -> None:
    stored = storage.put(blob(b"x" * 100))
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _n: storage.delete(stored.handle), range(8)))
    assert results.count(True) == 1


def test_a_file_is_visible_only_when_whole(storage: Storage) -> None:
    data = os.urandom(3 * 1024 * 1024)
    digest = hashlib.sha256(data).hexdigest()
    handle = new_handle()
    seen: list[str] = []
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            try:
                seen.append(hashlib.sha256(storage.read(handle)).hexdigest())
            except FileNotFound:
                continue

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        storage.put(blob(data, "big.bin"), handle=handle)
        while not seen:
            pass
    finally:
        done.set()
        watcher.join()
    assert set(seen) == {digest}
