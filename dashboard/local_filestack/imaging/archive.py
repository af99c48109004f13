"""Several files as one zip archive (``zip``, ``doc_to_images``)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence
from pathlib import PurePosixPath

from .errors import ImageTooLarge

MAX_ARCHIVE_FILES = 1000


def pack_zip(files: Sequence[tuple[str, bytes]]) -> bytes:
    """A zip of ``(name, bytes)`` pairs; names are made unique (``a.jpg``, ``a (2).jpg``) and flat."""
    if len(files) > MAX_ARCHIVE_FILES:
        raise ImageTooLarge(f"zip: at most {MAX_ARCHIVE_FILES} files, got {len(files)}")
    seen: dict[str, int] = {}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            base = PurePosixPath(name.replace("\\", "/")).name or "file"
            count = seen.get(base, 0) + 1
            seen[base] = count
            if count > 1:
                path = PurePosixPath(base)
                base = f"{path.stem} ({count}){path.suffix}"
            archive.writestr(base, data)
    return out.getvalue()
