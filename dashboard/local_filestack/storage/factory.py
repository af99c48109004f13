"""Opening the file storage the deployment settings select; the parts change, the code does not.

Bytes: ``DATA_DIR/files`` (or ``STORAGE_URL=file://DIR``), or an S3-compatible bucket
(``STORAGE_URL=s3://BUCKET``). Records: ``DATA_DIR/metadata.sqlite3``, or PostgreSQL when
``DATABASE_URL`` names it, so every worker of every machine sees the same files. A data dir
written by an earlier version is upgraded first (:mod:`.migrate`).
"""

from __future__ import annotations

from pathlib import Path

from dashboard.local_filestack.config.deployment import DeploymentSettings
from dashboard.local_filestack.storage.blobs import BlobStore, LocalBlobs, S3Blobs
from dashboard.local_filestack.storage.index import FileIndex
from dashboard.local_filestack.storage.migrate import INDEX_FILENAME, upgrade_data_dir
from dashboard.local_filestack.storage.pg import PgDatabase
from dashboard.local_filestack.storage.sql import Database, SqliteDatabase
from dashboard.local_filestack.storage.store import Storage


def open_database(data_dir: Path, deployment: DeploymentSettings, *, name: str, purpose: str) -> Database:
    """The deployment's PostgreSQL, or the SQLite file ``name`` in ``data_dir``."""
    if deployment.uses_postgres:
        return PgDatabase(deployment.postgres_dsn, application_name=purpose)
    return SqliteDatabase(data_dir / name)


def open_storage(
    data_dir: Path, deployment: DeploymentSettings, *, quota_bytes: int | None = None
) -> Storage:
    """The storage the settings select (the data dir upgraded to the current layout first), with
    ``quota_bytes`` (``STORAGE_QUOTA_BYTES``) as the most its files may take together."""
    deployment.check()
    bucket = deployment.s3_bucket
    blobs: BlobStore = (
        S3Blobs(bucket, endpoint_url=deployment.s3_endpoint_url, region=deployment.s3_region)
        if bucket
        else LocalBlobs(deployment.files_dir(data_dir))
    )
    if not deployment.uses_postgres:
        upgrade_data_dir(data_dir)
    return Storage(
        blobs,
        FileIndex(open_database(data_dir, deployment, name=INDEX_FILENAME, purpose="file-index")),
        quota_bytes=quota_bytes,
    )
