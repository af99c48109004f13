"""Choosing the file storage from the deployment settings.

No settings: :class:`~dashboard.local_filestack.storage.files.FileStorage` (files and SQLite in
the data dir). ``STORAGE_URL=s3://BUCKET`` puts the bytes in that bucket; a PostgreSQL
``DATABASE_URL`` puts the records in PostgreSQL, so every worker of every machine sees
the same files.
"""

from __future__ import annotations

from pathlib import Path

from dashboard.local_filestack.storage.blobs import BlobStore, LocalBlobs, S3Blobs
from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.index import FileIndex, PostgresFileIndex, SqliteFileIndex
from dashboard.local_filestack.storage.indexed import IndexedStorage
from dashboard.local_filestack.storage.files import FileStorage, Storage

OBJECT_INDEX_FILENAME = "objects.sqlite3"


def open_storage(data_dir: Path, deployment: DeploymentSettings) -> Storage:
    """The storage the settings select."""
    deployment.check()
    bucket = deployment.s3_bucket
    files_dir = None if bucket else deployment.files_dir(data_dir)
    if bucket is None and not deployment.uses_postgres and files_dir == data_dir / "files":
        return FileStorage(data_dir)
    blobs: BlobStore = (
        S3Blobs(bucket, endpoint_url=deployment.s3_endpoint_url, region=deployment.s3_region)
        if bucket
        else LocalBlobs(files_dir or data_dir / "files")
    )
    index: FileIndex = (
        PostgresFileIndex(deployment.postgres_dsn)
        if deployment.uses_postgres
        else SqliteFileIndex(data_dir / OBJECT_INDEX_FILENAME)
    )
    return IndexedStorage(blobs, index)
