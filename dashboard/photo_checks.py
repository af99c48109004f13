"""What the page accepts as a photo, checked on the server before anything is uploaded.

The dropzone's ``accept`` and ``max_size`` are hints for the browser only; these checks
are the ones that count. The type comes from the file's content, never its name.
"""

from __future__ import annotations

import io

from PIL import Image, UnidentifiedImageError

from dashboard.local_filestack.config.limits import ImageLimits

#: Pillow format name -> MIME type of the images the profile accepts.
ACCEPTED_FORMATS: dict[str, str] = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}

# Pillow loads most of its format plugins lazily: load them now, so that what is accepted
# does not depend on whether something opened an image before this module was imported.
Image.init()

try:  # HEIC support is optional: only where the codec's wheel is installed.
    import pillow_heif

    pillow_heif.register_heif_opener()
    if "AVIF" not in Image.OPEN and hasattr(pillow_heif, "register_avif_opener"):
        pillow_heif.register_avif_opener()
except ImportError:  # pragma: no cover - depends on the machine
    ACCEPTED_FORMATS.pop("HEIF")
if "AVIF" not in Image.OPEN:  # pragma: no cover - Pillow built without libavif and no pillow-heif
    ACCEPTED_FORMATS.pop("AVIF")

#: What the dropzone tells the browser to offer.
DROPZONE_ACCEPT: dict[str, list[str]] = {
    "image/jpeg": [".jpg", ".jpeg"],
    "image/png": [".png"],
    "image/webp": [".webp"],
    "image/gif": [".gif"],
    **({"image/heic": [".heic"], "image/heif": [".heif"]} if "HEIF" in ACCEPTED_FORMATS else {}),
    **({"image/avif": [".avif"]} if "AVIF" in ACCEPTED_FORMATS else {}),
}


#: The default pixel cap: the embedded service's (``MAX_PIXELS``), written once in its settings.
DEFAULT_MAX_PIXELS = ImageLimits().max_pixels


class RejectedPhoto(ValueError):
    """A file the profile will not take; the message is shown to the person."""


def human_size(size: int) -> str:
    """``12.3 MB``-style sizes for messages."""
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} bytes"


def check_photo(data: bytes, filename: str, max_bytes: int, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> str:
    """Return the photo's MIME type, or raise :class:`RejectedPhoto` saying why not.

    Only the accepted formats' readers look at the bytes, and only their header is read:
    the pixel count is checked before anything is decoded.
    """
    if not data:
        raise RejectedPhoto(f"{filename} is empty.")
    if len(data) > max_bytes:
        raise RejectedPhoto(f"{filename} is {human_size(len(data))}; the limit is {human_size(max_bytes)}.")
    try:
        with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as image:
            fmt = image.format or ""
            width, height = image.size
    except Image.DecompressionBombError as err:
        raise RejectedPhoto(f"{filename} has too many pixels; the limit is {max_pixels:,}.") from err
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise RejectedPhoto(
            f"{filename} is not an image we can use (JPEG, PNG, WebP, GIF, HEIC or AVIF)."
        ) from err
    if fmt not in ACCEPTED_FORMATS:
        raise RejectedPhoto(
            f"{filename} is a {fmt or 'unknown'} file; use JPEG, PNG, WebP, GIF, HEIC or AVIF."
        )
    if width < 1 or height < 1:
        raise RejectedPhoto(f"{filename} has no pixels.")
    if width * height > max_pixels:
        raise RejectedPhoto(
            f"{filename} is {width}×{height} ({width * height:,} pixels); the limit is {max_pixels:,} pixels."
        )
    return ACCEPTED_FORMATS[fmt]
