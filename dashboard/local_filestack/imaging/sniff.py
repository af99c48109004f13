"""Content sniffing: the media type of a file from its bytes, never its name."""

from __future__ import annotations

import codecs
import re

OCTET_STREAM = "application/octet-stream"

_TEXT_WINDOW = 64 * 1024
"""How many leading bytes are inspected when looking at text."""

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"II+\x00", "image/tiff"),
    (b"MM\x00+", "image/tiff"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"PK\x05\x06", "application/zip"),
    (b"PK\x07\x08", "application/zip"),
)

_HEIC_BRANDS = frozenset({b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"})
_AVIF_BRANDS = frozenset({b"avif", b"avis"})
_HEIF_GENERIC_BRANDS = frozenset({b"mif1", b"msf1"})

_BMP_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})

_SVG_TAG = re.compile(rb"<svg[\s>/]", re.IGNORECASE)
_HTML_DOCUMENT = re.compile(rb"<!doctype\s+html|<(?:html|head|body)[\s>]", re.IGNORECASE)
"""Markers of an HTML document, wherever they appear (an HTML page may embed ``<svg>``)."""
_HTML_ACTIVE = re.compile(rb"<(?:script|iframe)[\s>]", re.IGNORECASE)
"""Elements that make any non-SVG text active content."""
_HTML_LEADING_TAG = re.compile(
    rb"\s*(?:<!--|<(?:h1|div|font|table|a|style|title|b|br|p)[\s>])", re.IGNORECASE
)
"""The tags that make browsers sniff text as HTML when it starts with them (WHATWG sniffing)."""
_TEXT_CONTROL_BYTES = frozenset(range(0x20)) - {0x08, 0x09, 0x0A, 0x0C, 0x0D, 0x1B}
_NOT_CONTROL_BYTES = bytes(b for b in range(256) if b not in _TEXT_CONTROL_BYTES)


def sniff_mimetype(data: bytes) -> str:
    """Return the media type of ``data`` judged from its content alone.

    Recognises the common image formats (JPEG, PNG, GIF, WebP, HEIC, AVIF, BMP,
    TIFF), SVG (text containing an ``<svg`` element and no HTML document
    markers), PDF, ZIP, HTML (document markers, ``<script>``/``<iframe>``
    anywhere, or a leading tag browsers would sniff as HTML) and plain text.
    Anything else is ``application/octet-stream``. Only the first 64 KiB of
    text are inspected.
    """
    head = data[:32]
    for magic, mimetype in _MAGIC:
        if head.startswith(magic):
            return mimetype
    binary = _sniff_riff(head) or _sniff_iso_bmff(data) or _sniff_bmp(head)
    if binary:
        return binary
    return _sniff_text(data[:_TEXT_WINDOW])


def _sniff_riff(head: bytes) -> str | None:
    """WebP is a RIFF container whose form type is ``WEBP``."""
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def _sniff_iso_bmff(data: bytes) -> str | None:
    """HEIC and AVIF are ISO base media files told apart by their ``ftyp`` brands."""
    if data[4:8] != b"ftyp":
        return None
    box_size = int.from_bytes(data[0:4], "big")
    if box_size < 16 or box_size > 4096:
        return None
    major = data[8:12]
    compatible = {data[i : i + 4] for i in range(16, min(box_size, len(data)), 4)}
    brands = {major} | compatible
    if brands & _AVIF_BRANDS:
        return "image/avif"
    if brands & _HEIC_BRANDS or major in _HEIF_GENERIC_BRANDS:
        return "image/heic"
    return None


def _sniff_bmp(head: bytes) -> str | None:
    """``BM`` alone is too weak a signature, so the DIB header size must be plausible."""
    if head[:2] != b"BM" or len(head) < 18:
        return None
    dib_header_size = int.from_bytes(head[14:18], "little")
    return "image/bmp" if dib_header_size in _BMP_DIB_HEADER_SIZES else None


def _sniff_text(window: bytes) -> str:
    """Classify a window that matched no binary signature as SVG, HTML, text or binary."""
    text = _as_utf8_text(window)
    if not text:
        return OCTET_STREAM
    text = text.removeprefix(codecs.BOM_UTF8)
    is_document = _HTML_DOCUMENT.search(text) is not None
    if _SVG_TAG.search(text) and not is_document:
        return "image/svg+xml"
    if is_document or _HTML_ACTIVE.search(text) or _HTML_LEADING_TAG.match(text):
        return "text/html"
    return "text/plain"


def _as_utf8_text(window: bytes) -> bytes | None:
    """The window as UTF-8 text, or None when it is not text.

    Accepts UTF-8 (a multi-byte character cut by the window's end is fine) and
    UTF-16 with a byte-order mark; rejects NUL bytes and more than 1% of
    control characters other than the usual whitespace and escape.
    """
    if window.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        even = window[: len(window) - len(window) % 2]
        try:
            window = even.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError:
            return None
    if not window or b"\x00" in window:
        return None
    try:
        codecs.getincrementaldecoder("utf-8")().decode(window, final=False)
    except UnicodeDecodeError:
        return None
    control = len(window.translate(None, _NOT_CONTROL_BYTES))
    return window if control * 100 <= len(window) else None
