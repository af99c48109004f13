"""Rights metadata embedded in an image file: EXIF, IPTC and XMP.

Only headers are read (no pixel is decoded). XMP packets are found in the raw
bytes, so they are seen in every container (JPEG, PNG, WebP, TIFF, GIF,
HEIF...); a packet carrying a DTD or entity declaration is ignored rather than
parsed.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, field
from xml.etree import ElementTree

from PIL import Image, IptcImagePlugin

from dashboard.local_filestack.imaging.decode import UNREADABLE

logger = logging.getLogger(__name__)

EXIF_ARTIST = 0x013B
EXIF_COPYRIGHT = 0x8298

IPTC_FIELDS: dict[tuple[int, int], tuple[str, str]] = {
    (2, 116): ("copyright", "iptc:CopyrightNotice"),
    (2, 80): ("creator", "iptc:By-line"),
    (2, 110): ("credit", "iptc:Credit"),
    (2, 115): ("source", "iptc:Source"),
}
"""IPTC IIM datasets read, with what they are and how they are reported."""

NAMESPACES = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmpRights": "http://ns.adobe.com/xap/1.0/rights/",
    "cc": "http://creativecommons.org/ns#",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
}

XMP_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("dc", "rights", "copyright"),
    ("xmpRights", "UsageTerms", "usage_terms"),
    ("xmpRights", "WebStatement", "web_statement"),
    ("xmpRights", "Marked", "marked"),
    ("xmpRights", "Owner", "owner"),
    ("cc", "license", "license"),
    ("cc", "attributionName", "attribution"),
    ("cc", "attributionURL", "attribution_url"),
    ("dc", "creator", "creator"),
    ("photoshop", "Credit", "credit"),
    ("photoshop", "Source", "source"),
)
"""XMP properties read: namespace prefix, name, and what they are."""

_XMP_PACKET = re.compile(rb"<x:xmpmeta\b.*?</x:xmpmeta>", re.DOTALL)
_MAX_XMP_PACKETS = 8


@dataclass(frozen=True)
class RightsField:
    """One metadata value: what it is (``copyright``, ``creator``...), its text, its origin."""

    role: str
    value: str
    origin: str


@dataclass
class EmbeddedRights:
    """Every rights-related value found in a file's EXIF, IPTC and XMP."""

    fields: list[RightsField] = field(default_factory=list)

    def add(self, role: str, value: object, origin: str) -> None:
        """Keep ``value`` when it holds text."""
        text = _text(value)
        if text:
            self.fields.append(RightsField(role, text, origin))


def _text(value: object) -> str | None:
    """A metadata value as clean text (bytes as UTF-8, else Latin-1); None when empty."""
    if isinstance(value, bytes):
        try:
            text = value.decode("utf-8")
        except UnicodeDecodeError:
            text = value.decode("latin-1")
    elif isinstance(value, str):
        text = value
    else:
        return None
    cleaned = " ".join(text.replace("\x00", " ").split())
    return cleaned or None


def read_embedded(data: bytes) -> EmbeddedRights:
    """EXIF, IPTC and XMP rights values of the file ``data`` (any file; images yield most)."""
    found = EmbeddedRights()
    _read_exif_and_iptc(data, found)
    _read_xmp(data, found)
    return found


def _read_exif_and_iptc(data: bytes, found: EmbeddedRights) -> None:
    """EXIF Copyright/Artist and IPTC notice, by-line, credit and source, when Pillow can open ``data``."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            copyright_text = exif.get(EXIF_COPYRIGHT)
            if isinstance(copyright_text, (str, bytes)):
                # EXIF allows "photographer\0editor" notices.
                raw = (
                    copyright_text.decode("latin-1") if isinstance(copyright_text, bytes) else copyright_text
                )
                for part in raw.split("\x00"):
                    found.add("copyright", part, "exif:Copyright")
            found.add("creator", exif.get(EXIF_ARTIST), "exif:Artist")
            iptc = IptcImagePlugin.getiptcinfo(image) or {}
    except UNREADABLE as exc:
        logger.debug("no EXIF/IPTC read: %s", exc)
        return
    for key, (role, origin) in IPTC_FIELDS.items():
        values = iptc.get(key)
        for value in values if isinstance(values, list) else [values]:
            found.add(role, value, origin)


def _read_xmp(data: bytes, found: EmbeddedRights) -> None:
    """The rights properties of every XMP packet in ``data``."""
    for count, match in enumerate(_XMP_PACKET.finditer(data)):
        if count >= _MAX_XMP_PACKETS:
            break
        packet = match.group(0)
        if b"<!DOCTYPE" in packet or b"<!ENTITY" in packet:
            logger.warning("ignoring an XMP packet that declares a DTD or entities")
            continue
        try:
            root = ElementTree.fromstring(packet)
        except ElementTree.ParseError as exc:
            logger.debug("ignoring a malformed XMP packet: %s", exc)
            continue
        for description in root.iter(f"{{{NAMESPACES['rdf']}}}Description"):
            for prefix, name, role in XMP_FIELDS:
                for value in _xmp_values(description, prefix, name):
                    found.add(role, value, f"xmp:{prefix}:{name}")


def _xmp_values(description: ElementTree.Element, prefix: str, name: str) -> list[str]:
    """The values of one property of an ``rdf:Description``, written as attribute or element."""
    tag = f"{{{NAMESPACES[prefix]}}}{name}"
    values: list[str] = []
    attribute = description.get(tag)
    if attribute:
        values.append(attribute)
    rdf = NAMESPACES["rdf"]
    for element in description.findall(tag):
        resource = element.get(f"{{{rdf}}}resource")
        if resource:
            values.append(resource)
        items = element.findall(f".//{{{rdf}}}li")
        if items:
            values.extend(item.text or "" for item in items)
        elif element.text and element.text.strip():
            values.append(element.text)
    return values
