"""Shrink-on-load for PNG and WebP through libvips, when ``pyvips`` is installed.

Pillow shrinks JPEGs while decoding (DCT scaling through ``draft``) but
decodes PNG and WebP at full size. libvips streams a PNG through a box shrink
without holding the full-size image, and asks libwebp to decode a WebP
directly at a reduced size. Measured on the 2-core development machine
(``make bench``, BENCHMARKS.md) for a 400 px avatar: a 4000 × 3000 WebP in
about 70 % of Pillow's time and under a third of its peak memory, a 24 MP
PNG in about 75-85 % of its time and 80 % of its memory. For JPEG, Pillow's
``draft`` is as fast as libvips' ``thumbnail``, so JPEGs stay with Pillow.

The result is an ``RGB``/``RGBA`` Pillow image in the file's stored orientation
of at least the requested scale, like a ``draft`` decode: the caller applies
EXIF orientation and the final resample exactly as for a JPEG. Only the
simple, common cases are taken (8-bit RGB or RGBA, one frame, no PNG
transparency chunk, no PNG EXIF); everything else is left to Pillow, as is
everything when ``pyvips`` is missing or ``LOCAL_FILESTACK_PYVIPS=0``.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import struct
from types import ModuleType
from typing import Any

from PIL import Image, ImageFile

logger = logging.getLogger(__name__)

Size = tuple[int, int]

ENABLED: bool = os.environ.get("LOCAL_FILESTACK_PYVIPS", "1") != "0"
"""Whether libvips may be used at all (``LOCAL_FILESTACK_PYVIPS=0`` turns it off)."""

MIN_SHRINK = 2
"""A PNG is only taken when it can be box-shrunk at least this many times on each side."""

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_WEBP_MAX_SCALE = 0.5
"""A WebP is only taken when at most this scale is needed (as for JPEG ``draft``)."""


class VipsDecodeError(Exception):
    """libvips could not decode the data (corrupt or truncated)."""


@functools.cache
def _pyvips() -> ModuleType | None:
    """The configured ``pyvips`` module, or None when it (or libvips) cannot be loaded."""
    try:
        import pyvips  # type: ignore[import-untyped]
    except (ImportError, OSError) as exc:
        logger.debug("pyvips unavailable, PNG and WebP decode at full size: %s", exc)
        return None
    pyvips.cache_set_max(0)
    pyvips.block_untrusted_set(True)
    return pyvips


def available() -> bool:
    """Whether ``pyvips`` and libvips load in this process."""
    return _pyvips() is not None


def handles(data: bytes) -> bool:
    """Whether ``data`` is of a type this module may shrink on load (PNG or WebP)."""
    return data.startswith(_PNG_SIGNATURE) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")


def shrink_on_load(image: ImageFile.ImageFile, data: bytes, scale: float) -> Image.Image | None:
    """``image`` (opened by Pillow, not loaded) decoded by libvips to at least ``scale`` of its size.

    Returns None when libvips is not used for this image; then the caller
    decodes with Pillow. Raises :class:`VipsDecodeError` on corrupt data.
    """
    if not ENABLED or not _eligible(image):
        return None
    pyvips = _pyvips()
    if pyvips is None:
        return None
    try:
        reduced = _reduced(pyvips, image.format or "", data, image.size, scale)
        if reduced is None:
            return None
        return _to_pillow(reduced)
    except pyvips.Error as exc:
        raise VipsDecodeError(str(exc).strip().splitlines()[0] if str(exc).strip() else "") from exc


def _eligible(image: ImageFile.ImageFile) -> bool:
    """8-bit RGB(A), one frame, no transparency chunk, and (PNG) no EXIF chunk anywhere."""
    if image.format not in ("PNG", "WEBP") or image.mode not in ("RGB", "RGBA"):
        return False
    if "transparency" in image.info or getattr(image, "n_frames", 1) != 1:
        return False
    return image.format != "PNG" or "exif" not in image.info


def _reduced(pyvips: Any, fmt: str, data: bytes, size: Size, scale: float) -> Any | None:
    """The lazily evaluated libvips image at the reduced size, or None when not worth it."""
    if fmt == "PNG":
        factor = math.floor(1 / scale) if scale > 0 else 0
        if factor < MIN_SHRINK or _png_has_exif(data):
            return None
        loaded = pyvips.Image.pngload_buffer(data, access="sequential", fail_on="truncated")
        if not _plain_srgb(loaded):
            return None
        if loaded.hasalpha():
            return loaded.premultiply().shrink(factor, factor).unpremultiply().cast("uchar")
        return loaded.shrink(factor, factor).cast("uchar")
    if scale > _WEBP_MAX_SCALE:
        return None
    width, height = size
    # libwebp rounds the scaled size; ask for a little more so both sides meet ``scale``.
    needed = max(math.ceil(width * scale) / width, math.ceil(height * scale) / height)
    loaded = pyvips.Image.webpload_buffer(data, scale=min(1.0, needed * 1.001), fail_on="truncated")
    return loaded if _plain_srgb(loaded) else None


def _plain_srgb(image: Any) -> bool:
    """8 bits per sample, three or four bands, sRGB: what Pillow's RGB/RGBA hold."""
    return bool(image.format == "uchar" and image.bands in (3, 4) and image.interpretation == "srgb")


def _to_pillow(image: Any) -> Image.Image:
    """Evaluate the libvips pipeline into a Pillow image."""
    mode = "RGBA" if image.bands == 4 else "RGB"
    pixels = image.write_to_memory()
    return Image.frombytes(mode, (image.width, image.height), pixels)


def _png_has_exif(data: bytes) -> bool:
    """True when any chunk of the PNG is ``eXIf`` (walks the chunk headers only)."""
    position = len(_PNG_SIGNATURE)
    end = len(data)
    while position + 8 <= end:
        length, kind = struct.unpack_from(">I4s", data, position)
        if kind == b"eXIf":
            return True
        if kind == b"IEND":
            return False
        position += 12 + length
    return False
