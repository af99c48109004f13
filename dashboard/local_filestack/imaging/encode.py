"""Encoding the processed image: format choice, quality, compression and metadata."""

from __future__ import annotations

import io
from dataclasses import dataclass, fields, replace
from typing import Any, Literal, get_args

from PIL import Image

from .compositing import OPAQUE, WHITE, flatten, has_transparency
from .decode import SourceMetadata
from .params import RGBA

OutputFormat = Literal["jpg", "pjpg", "png", "webp", "gif", "bmp", "tiff", "heif", "avif", "pdf"]
OUTPUT_FORMATS: tuple[OutputFormat, ...] = get_args(OutputFormat)
"""The formats ``output=format:`` accepts for images (``heif`` and ``avif`` also keep those sources'
format; ``pdf`` wraps the image in a one-page PDF)."""
Colorspace = Literal["rgb", "cmyk", "input"]
DOCUMENT_FORMATS = frozenset(
    {"doc", "docx", "html", "odp", "ods", "odt", "ppt", "pptx", "svg", "txt", "xls", "xlsx"}
)
"""Filestack's document conversions: refused by name (they need an office suite)."""

DEFAULT_QUALITY = 85
"""JPEG and WebP quality when no ``quality`` task or ``output=quality:`` asks otherwise."""

_MIMETYPES: dict[OutputFormat, str] = {
    "jpg": "image/jpeg",
    "pjpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "tiff": "image/tiff",
    "heif": "image/heic",
    "avif": "image/avif",
    "pdf": "application/pdf",
}
_PILLOW_FORMATS: dict[OutputFormat, str] = {
    "jpg": "JPEG",
    "pjpg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "heif": "HEIF",
    "avif": "AVIF",
    "pdf": "PDF",
}
_FORMAT_FOR_SOURCE: dict[str, OutputFormat] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heif",
    "image/avif": "avif",
    "image/bmp": "bmp",
    "image/tiff": "tiff",
}
"""The output format when no ``output=format:`` is given: the input's (Filestack keeps it)."""
_ALPHA_FORMATS = frozenset({"png", "webp", "gif", "tiff", "heif", "avif"})
"""Formats that keep transparency; the others are flattened (JPEG, BMP, PDF) or, when no format
was asked, switch to PNG."""

_RGB_PROFILE_SPACE = b"RGB "
_WEBP_METHOD = 4
_WEBP_COMPRESSED_METHOD = 6


@dataclass(frozen=True)
class Rendered:
    """The encoded result of a task chain (no width and height for answers that are not images)."""

    data: bytes
    mimetype: str
    width: int | None
    height: int | None


@dataclass(frozen=True)
class EncodeSettings:
    """Output choices from the ``output``, ``quality``, ``compress`` and ``no_metadata`` tasks.

    None means "not asked"; :meth:`updated` lets a later task override an
    earlier one field by field, as tasks run left to right.
    """

    format: OutputFormat | None = None
    quality: int | Literal["input"] | None = None
    background: RGBA | None = None
    """Colour under transparent pixels when the output format has no alpha (JPEG)."""
    compress: bool | None = None
    keep_metadata: bool | None = None
    """``compress=metadata:true``: carry the source's EXIF over."""
    strip: bool | None = None
    """``no_metadata`` or ``output=strip:true``: drop EXIF and the ICC profile."""
    colorspace: Colorspace | None = None
    """``output=colorspace:``: ``cmyk`` writes a CMYK JPEG; ``input`` keeps a CMYK source CMYK."""
    page: int | None = None
    """``output=page:``: the page of a document source to render (1-based)."""
    density: int | None = None
    """``output=density:``: dots per inch a document source is rendered at."""
    docinfo: bool | None = None
    """``output=docinfo:true``: answer the document's facts as JSON instead of an image."""

    def updated(self, later: EncodeSettings) -> EncodeSettings:
        """These settings with every field ``later`` sets taken from it."""
        changes = {
            field.name: getattr(later, field.name)
            for field in fields(later)
            if getattr(later, field.name) is not None
        }
        return replace(self, **changes)


def encode(image: Image.Image, settings: EncodeSettings, source: SourceMetadata) -> Rendered:
    """Encode the working ``RGB``/``RGBA`` image as ``settings`` and the source dictate.

    Without ``output=format:`` the source's format is kept, except that a JPEG
    whose result gained transparency (``circle``, ``rounded_corners``) becomes
    a PNG. EXIF is dropped unless ``compress=metadata:true``; the ICC profile
    is kept unless metadata is stripped.
    """
    transparent = has_transparency(image)
    output_format = _output_format(settings, source.mimetype, transparent)
    prepared = _prepare(image, output_format, settings, transparent)
    if output_format in ("jpg", "pjpg") and _wants_cmyk(settings, source):
        prepared = prepared.convert("CMYK")
    options = _format_options(output_format, settings, source) | _metadata_options(
        output_format, settings, source
    )
    buffer = io.BytesIO()
    prepared.save(buffer, format=_PILLOW_FORMATS[output_format], **options)
    return Rendered(
        data=buffer.getvalue(),
        mimetype=_MIMETYPES[output_format],
        width=prepared.width,
        height=prepared.height,
    )


def _output_format(settings: EncodeSettings, source_mimetype: str, transparent: bool) -> OutputFormat:
    """The asked format, else the source's, switching JPEG to PNG to keep transparency."""
    if settings.format is not None:
        return settings.format
    kept = _FORMAT_FOR_SOURCE.get(source_mimetype, "png")
    return "png" if kept not in _ALPHA_FORMATS and transparent else kept


def _wants_cmyk(settings: EncodeSettings, source: SourceMetadata) -> bool:
    """``colorspace:cmyk``, or ``colorspace:input`` on a CMYK source."""
    return settings.colorspace == "cmyk" or (settings.colorspace == "input" and source.cmyk)


def _prepare(
    image: Image.Image, output_format: OutputFormat, settings: EncodeSettings, transparent: bool
) -> Image.Image:
    """Bring the image to a mode the format stores: JPEG is flattened, opaque RGBA drops alpha."""
    if image.mode != "RGBA":
        return image
    if output_format not in _ALPHA_FORMATS:
        background = settings.background or WHITE
        return flatten(image, (*background[:3], OPAQUE))
    if not transparent:
        return image.convert("RGB")
    return image


def _format_options(
    output_format: OutputFormat, settings: EncodeSettings, source: SourceMetadata
) -> dict[str, Any]:
    """Quality and compression arguments for Pillow's encoder of ``output_format``."""
    compress = bool(settings.compress)
    if output_format in ("jpg", "pjpg"):
        options: dict[str, Any] = {
            "optimize": compress,
            "progressive": compress or output_format == "pjpg",
        }
        return options | _jpeg_quality(settings, source)
    if output_format == "webp":
        quality = settings.quality if isinstance(settings.quality, int) else DEFAULT_QUALITY
        method = _WEBP_COMPRESSED_METHOD if compress else _WEBP_METHOD
        return {"quality": quality, "method": method}
    if output_format in ("heif", "avif"):
        return {"quality": settings.quality if isinstance(settings.quality, int) else DEFAULT_QUALITY}
    if output_format == "tiff":
        return {"compression": "tiff_deflate" if compress else "tiff_lzw"}
    if output_format in ("bmp", "pdf"):
        return {}
    return {"optimize": compress}


def _jpeg_quality(settings: EncodeSettings, source: SourceMetadata) -> dict[str, Any]:
    """``quality``, or for ``quality:input`` the source JPEG's own tables and subsampling."""
    if isinstance(settings.quality, int):
        # Never re-encode finer than the source already is: that only makes the file larger.
        source_quality = estimated_jpeg_quality(source.jpeg_qtables)
        if source_quality is not None and source_quality < settings.quality:
            return {"quality": source_quality}
        return {"quality": settings.quality}
    if settings.quality == "input" and source.jpeg_qtables:
        options: dict[str, Any] = {"qtables": source.jpeg_qtables}
        if source.jpeg_subsampling is not None and source.jpeg_subsampling >= 0:
            options["subsampling"] = source.jpeg_subsampling
        return options
    return {"quality": DEFAULT_QUALITY}


def _metadata_options(
    output_format: OutputFormat, settings: EncodeSettings, source: SourceMetadata
) -> dict[str, Any]:
    """The ICC profile and EXIF to embed; GIF carries neither."""
    if settings.strip or output_format in ("gif", "bmp", "pdf"):
        return {}
    options: dict[str, Any] = {}
    if source.icc_profile and _profile_space(source.icc_profile) == _RGB_PROFILE_SPACE:
        options["icc_profile"] = source.icc_profile
    if settings.keep_metadata and source.exif:
        options["exif"] = source.exif
    return options


def _profile_space(profile: bytes) -> bytes:
    """The data colour space of an ICC profile (``RGB ``, ``GRAY``, ``CMYK``...).

    A profile only describes pixels in its own colour space, so a CMYK or grey
    profile must not be attached to the RGB output.
    """
    return profile[16:20]


_IJG_LUMINANCE = (
    16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
    14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
    18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
    49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
)  # fmt: skip
"""The JPEG standard's (IJG) luminance table at quality 50, in natural order."""


def estimated_jpeg_quality(qtables: dict[int, list[int]] | None) -> int | None:
    """The IJG quality a JPEG's luminance table was made with (None without tables).

    Inverts libjpeg's scaling (``scale = 5000 / q`` below 50, ``200 - 2q`` above): the mean
    ratio of the table to the standard table gives the scale. Pillow reports tables in
    natural order, so the sum is order-free.
    """
    if not qtables or 0 not in qtables:
        return None
    table = list(qtables[0])
    if len(table) != len(_IJG_LUMINANCE):
        return None
    scale = 100.0 * sum(table) / sum(_IJG_LUMINANCE)
    quality = (200.0 - scale) / 2.0 if scale <= 100.0 else 5000.0 / scale
    return max(1, min(100, round(quality)))
