"""Writing a file so that readers see either nothing or the whole file: the one way the service does it."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import time
from pathlib import Path

from dashboard.local_filestack.storage.files import StorageFull

#: Temp files start with this, so nothing that lists a folder mistakes one for a finished file.
TEMP_PREFIX = ".tmp-"
#: A temp file this old is a crash's leftover, not a write in progress (by this or another process).
STALE_TEMP_S = 3600.0


def atomic_write(path: Path, data: bytes) -> None:
    """Write to a temp file next to ``path``, fsync, rename over ``path``, fsync the folder.

    A full disk (or quota) is :class:`~dashboard.local_filestack.storage.files.StorageFull`;
    on any failure the temp file is removed and ``path`` is left as it was.
    """
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=TEMP_PREFIX)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        if err.errno in (errno.ENOSPC, errno.EDQUOT):
            raise StorageFull(f"no space left on the storage disk for a {len(data)}-byte file") from err
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


def is_stale_temp(path: Path, *, now: float | None = None, older_than_s: float = STALE_TEMP_S) -> bool:
    """Whether ``path`` is a temp file of an interrupted :func:`atomic_write` (old enough that no
    writer is still at it)."""
    if not path.name.startswith(TEMP_PREFIX):
        return False
    try:
        modified = path.stat().st_mtime
    except FileNotFoundError:
        return False
    return (time.time() if now is None else now) - modified > older_than_s


def remove_crash_leftovers(folder: Path, *, older_than_s: float = STALE_TEMP_S) -> int:
    """Remove the temp files interrupted writes left anywhere under ``folder``; how many went."""
    removed = 0
    if not folder.is_dir():
        return 0
    now = time.time()
    for path in folder.rglob(f"{TEMP_PREFIX}*"):
        if path.is_file() and is_stale_temp(path, now=now, older_than_s=older_than_s):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
                removed += 1
    return removed
