"""Writing a file so that readers see either nothing or the whole file: the one way the service does it."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from dashboard.local_filestack.storage.files import StorageFull

#: Temp files start with this, so nothing that lists a folder mistakes one for a finished file.
TEMP_PREFIX = ".tmp-"


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
