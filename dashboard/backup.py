"""Back up and restore the default installation: the app's database, the service's databases and files.

``python -m dashboard.backup backup [--to DIR]`` (``make backup``) writes one dated archive,
``profile-studio-YYYYMMDDTHHMMSSZ.tar.gz``, while the app keeps running:

1. every SQLite database is copied with SQLite's online backup API (a consistent snapshot, whatever
   is being written meanwhile) -- the app's database first, then the service's databases, the file
   records (``metadata.sqlite3``) last, so every handle a row of an earlier snapshot names has its
   record in the later one;
2. then the bytes of every file record of that snapshot are added. Blobs are never changed once
   written (an overwrite writes a new blob name), so a blob read after the snapshot holds the bytes
   the record names; one deleted in between is listed in the manifest as ``missing_blobs``.

The transform cache (rebuilt on demand) and unfinished multipart sessions are left out.

``python -m dashboard.backup restore ARCHIVE [--force]`` (``make restore ARCHIVE=…``) puts an
archive back into ``DATA_DIR`` and the app's database file. It refuses while a process has one of
those databases open (the installation is running: stop it first), and refuses to replace existing
data without ``--force``; with it, what was there is moved aside (``<name>.replaced-<stamp>``),
never deleted.

The distributed mode (PostgreSQL, a bucket) is backed up with ``pg_dump`` and a bucket copy instead
(README, "Backup and restore"); both commands refuse it with :class:`DistributedMode`.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import shutil
import sqlite3
import sys
import tarfile
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dashboard.local_filestack.config.credentials import CREDENTIALS_FILE
from dashboard.local_filestack.config.environment import PROJECT_ROOT
from dashboard.local_filestack.storage.index import TABLE as FILES_TABLE
from dashboard.local_filestack.storage.migrate import INDEX_FILENAME
from dashboard.settings import Settings

#: Where ``make backup`` puts archives unless told otherwise.
DEFAULT_BACKUP_DIR = PROJECT_ROOT / "backups"
ARCHIVE_PREFIX = "profile-studio-"
ARCHIVE_SUFFIX = ".tar.gz"
MANIFEST = "manifest.json"
FORMAT = 1
#: Files of the data dir that are databases (SQLite files the service opens there).
DATABASE_SUFFIXES = (".sqlite3", ".db")
#: What SQLite keeps beside a database file while it is open.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


class BackupError(Exception):
    """A backup or restore that cannot be done; the message says why and what to do."""


class DistributedMode(BackupError):
    """The installation keeps its data in PostgreSQL or a bucket: use pg_dump and a bucket copy."""


class NothingToBackUp(BackupError):
    """No database and no data dir where the settings point."""


class ArchiveInvalid(BackupError):
    """The file is not an archive this module wrote (missing, unreadable, or with unsafe member names)."""


class InstallationRunning(BackupError):
    """A process has one of the databases a restore would replace open."""

    def __init__(self, pids: Sequence[int], paths: Sequence[Path]) -> None:
        self.pids = list(pids)
        super().__init__(
            f"the installation is running (process {', '.join(map(str, self.pids))} has "
            f"{', '.join(str(p) for p in paths)} open); stop the app and the service, then restore"
        )


class ExistingData(BackupError):
    """The restore target already holds data; ``--force`` moves it aside first."""


class Manifest(BaseModel):
    """What an archive holds, written first into it as ``manifest.json``."""

    format: int = FORMAT
    created_at: dt.datetime
    #: The app's database file name (under ``app/``), ``None`` when the app had none yet.
    app_database: str | None
    #: The service's database file names (under ``data/``).
    service_databases: list[str]
    #: Blob names of the files' bytes (under ``files/``).
    blobs: int
    blob_bytes: int
    #: Blobs the file records name that were deleted before they could be read.
    missing_blobs: list[str]


class Layout(BaseModel):
    """Where the default installation keeps its data, as the settings say."""

    app_database: Path
    data_dir: Path
    files_dir: Path

    @classmethod
    def from_settings(cls, settings: Settings) -> Layout:
        deployment = settings.service.deployment
        if deployment.uses_postgres or deployment.s3_bucket:
            raise DistributedMode(
                "this installation keeps its data in PostgreSQL or a bucket: back it up with pg_dump "
                "and a copy of the bucket (README, 'Backup and restore')"
            )
        url = settings.database_url
        if not url.startswith("sqlite:///"):
            raise DistributedMode(f"DATABASE_URL {url!r} is not a SQLite file")
        data_dir = settings.data_dir
        return cls(
            app_database=Path(url.removeprefix("sqlite:///")).resolve(),
            data_dir=data_dir,
            files_dir=deployment.files_dir(data_dir).resolve(),
        )

    def service_databases(self) -> list[Path]:
        """The data dir's SQLite files, the file records last (see the module's docstring)."""
        if not self.data_dir.is_dir():
            return []
        found = [
            path
            for path in self.data_dir.iterdir()
            if path.is_file() and path.suffix in DATABASE_SUFFIXES and path != self.app_database
        ]
        return sorted(found, key=lambda path: (path.name == INDEX_FILENAME, path.name))


def archive_name(now: dt.datetime) -> str:
    """``profile-studio-20261130T001502Z.tar.gz`` for ``now`` (UTC)."""
    return f"{ARCHIVE_PREFIX}{now.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%SZ')}{ARCHIVE_SUFFIX}"


def snapshot_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of the live database ``source`` at ``target``, through SQLite's backup API."""
    with (
        contextlib.closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30.0)) as src,
        contextlib.closing(sqlite3.connect(target)) as dst,
    ):
        src.execute("PRAGMA busy_timeout=30000")
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it


def blob_names(index_copy: Path) -> list[str]:
    """The blob names the file records of a snapshot of ``metadata.sqlite3`` point to."""
    with contextlib.closing(sqlite3.connect(index_copy)) as conn:
        try:
            rows = conn.execute(f"SELECT blob FROM {FILES_TABLE}").fetchall()
        except sqlite3.OperationalError:  # no file stored yet
            return []
    return sorted({str(row[0]) for row in rows})


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(dt.datetime.now(dt.UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup(layout: Layout, to_dir: Path, *, now: dt.datetime | None = None) -> tuple[Path, Manifest]:
    """Write one archive of ``layout`` into ``to_dir``; the archive appears only when complete."""
    now = now or dt.datetime.now(dt.UTC)
    databases = layout.service_databases()
    has_app = layout.app_database.is_file()
    if not has_app and not databases:
        raise NothingToBackUp(f"no database at {layout.app_database} nor in {layout.data_dir}")
    to_dir.mkdir(parents=True, exist_ok=True)
    target = to_dir / archive_name(now)
    partial = target.with_name(target.name + ".partial")
    missing: list[str] = []
    blob_count = blob_bytes = 0
    with tempfile.TemporaryDirectory(prefix="backup-", dir=to_dir) as staging_name:
        staging = Path(staging_name)
        if has_app:
            snapshot_sqlite(layout.app_database, staging / "app.db")
        for database in databases:
            snapshot_sqlite(database, staging / database.name)
        index_copy = staging / INDEX_FILENAME
        names = blob_names(index_copy) if index_copy.exists() else []
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the app secret
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=1) as tar:
            for name in names:  # the bytes first: the manifest counts them
                try:
                    with (layout.files_dir / name).open("rb") as blob:
                        info = tar.gettarinfo(fileobj=blob, arcname=f"files/{name}")
                        tar.addfile(info, blob)
                        blob_count += 1
                        blob_bytes += info.size
                except FileNotFoundError:
                    missing.append(name)
            if has_app:
                tar.add(staging / "app.db", arcname=f"app/{layout.app_database.name}")
            for database in databases:
                tar.add(staging / database.name, arcname=f"data/{database.name}")
            credentials = layout.data_dir / CREDENTIALS_FILE
            if credentials.is_file():
                tar.add(credentials, arcname=f"data/{CREDENTIALS_FILE}")
            manifest = Manifest(
                created_at=now,
                app_database=layout.app_database.name if has_app else None,
                service_databases=[database.name for database in databases],
                blobs=blob_count,
                blob_bytes=blob_bytes,
                missing_blobs=missing,
            )
            _add_bytes(tar, MANIFEST, manifest.model_dump_json(indent=2).encode())
            raw.flush()
            os.fsync(raw.fileno())
    os.replace(partial, target)
    return target, manifest


def read_manifest(archive: Path) -> Manifest:
    """The manifest of ``archive``; :class:`ArchiveInvalid` if it has none or it is not one of ours."""
    if not archive.is_file():
        raise ArchiveInvalid(f"no archive at {archive}")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            if member is None:
                raise ArchiveInvalid(f"{archive} has no {MANIFEST}")
            manifest = Manifest.model_validate_json(member.read())
    except (tarfile.TarError, KeyError, OSError, ValidationError) as err:
        raise ArchiveInvalid(f"{archive} is not a backup archive: {err}") from err
    if manifest.format != FORMAT:
        raise ArchiveInvalid(f"{archive} has format {manifest.format}; this version reads {FORMAT}")
    return manifest


def processes_holding(paths: Sequence[Path]) -> list[int]:
    """Processes (of any user this one may inspect) with one of ``paths`` open, read from ``/proc``."""
    wanted = {str(path) for path in paths}
    holders: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            for fd in (entry / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in wanted:
                        holders.append(int(entry.name))
                        break
    return sorted(holders)


def _live_files(layout: Layout, manifest: Manifest) -> list[Path]:
    """Every database file (with its SQLite companions) a restore of ``manifest`` would replace."""
    databases = [layout.data_dir / name for name in manifest.service_databases]
    databases += layout.service_databases()
    databases.append(layout.app_database)
    return [Path(f"{database}{suffix}") for database in set(databases) for suffix in ("", *SQLITE_COMPANIONS)]


@contextlib.contextmanager
def _staging_beside(path: Path) -> Iterator[Path]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{path.name}.restore-", dir=path.parent) as name:
        yield Path(name)


def _safe_members(tar: tarfile.TarFile) -> list[tarfile.TarInfo]:
    members = tar.getmembers()
    for member in members:
        parts = Path(member.name).parts
        if (
            not member.isfile()
            or member.name.startswith("/")
            or ".." in parts
            or parts[0] not in ("app", "data", "files", MANIFEST)
        ):
            raise ArchiveInvalid(f"unsafe or unknown member {member.name!r} in the archive")
    return members


def restore(
    archive: Path, layout: Layout, *, force: bool = False, now: dt.datetime | None = None
) -> Manifest:
    """Put ``archive`` back where ``layout`` says; see the module's docstring for what is refused."""
    manifest = read_manifest(archive)
    live = [path for path in _live_files(layout, manifest) if path.exists()]
    holders = processes_holding([path.resolve() for path in live])
    if holders:
        raise InstallationRunning(holders, [path for path in live if path.suffix in DATABASE_SUFFIXES])
    credentials = layout.data_dir / CREDENTIALS_FILE
    existing = [*live, credentials] if credentials.exists() else live
    files_there = layout.files_dir.is_dir() and any(layout.files_dir.iterdir())
    if (existing or files_there) and not force:
        raise ExistingData(
            f"{layout.data_dir} or {layout.app_database} already holds data; restore with --force "
            "to move it aside (nothing is deleted)"
        )
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    with _staging_beside(layout.data_dir) as staging, tarfile.open(archive, "r:gz") as tar:
        tar.extractall(staging, members=_safe_members(tar))
        moves: list[tuple[Path, Path]] = []
        if manifest.app_database is not None:
            moves.append((staging / "app" / manifest.app_database, layout.app_database))
        for name in [*manifest.service_databases, CREDENTIALS_FILE]:
            if (staging / "data" / name).exists():
                moves.append((staging / "data" / name, layout.data_dir / name))
        (staging / "files").mkdir(exist_ok=True)
        layout.data_dir.mkdir(parents=True, exist_ok=True)
        layout.app_database.parent.mkdir(parents=True, exist_ok=True)
        for path in [*existing, layout.files_dir] if files_there else existing:
            path.rename(path.with_name(f"{path.name}.replaced-{stamp}"))
        if layout.files_dir.is_dir():  # left empty: the restored folder takes its place
            layout.files_dir.rmdir()
        layout.files_dir.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(staging / "files", layout.files_dir)
        for source, target in moves:
            shutil.move(source, target)
    return manifest


def _settings() -> Settings:
    return Settings()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.backup", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="write a dated archive while the app runs")
    make.add_argument("--to", type=Path, default=DEFAULT_BACKUP_DIR, help="folder of the archives")
    back = commands.add_parser("restore", help="put an archive back (the installation stopped)")
    back.add_argument("archive", type=Path)
    back.add_argument("--force", action="store_true", help="move existing data aside instead of refusing")
    args = parser.parse_args(argv)
    try:
        layout = Layout.from_settings(_settings())
        if args.command == "backup":
            path, manifest = backup(layout, args.to.resolve())
            print(
                f"backed up {manifest.blobs} files ({manifest.blob_bytes} bytes) and "
                f"{len(manifest.service_databases) + (manifest.app_database is not None)} databases to {path}"
            )
            if manifest.missing_blobs:
                print(f"{len(manifest.missing_blobs)} files were deleted while backing up and are not in it")
        else:
            manifest = restore(args.archive.resolve(), layout, force=args.force)
            print(
                f"restored {manifest.blobs} files and the databases of {manifest.created_at:%Y-%m-%d %H:%M:%S} UTC "
                f"into {layout.data_dir} and {layout.app_database}"
            )
    except BackupError as err:
        print(f"{type(err).__name__}: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
