"""``copyright``: licences and rights statements that a file carries about itself.

Read from the file alone, offline: EXIF ``Copyright`` and ``Artist``; IPTC
copyright notice, by-line, credit and source; XMP ``dc:rights``,
``xmpRights:UsageTerms``/``WebStatement``/``Marked``/``Owner``, ``cc:license``
and attribution, ``dc:creator``, ``photoshop:Credit``/``Source``; and a C2PA
manifest (see :mod:`.c2pa_manifest`). Creative Commons licences are recognised
in any of them. Nothing is looked up elsewhere: a file without such metadata
yields empty lists, which says nothing about its actual rights.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, cast

from dashboard.local_filestack.imaging import sniff_mimetype
from dashboard.local_filestack.imaging.sniff import OCTET_STREAM

from .c2pa_manifest import C2paFindings, read_c2pa
from .embedded import RightsField, read_embedded
from .rights import CopyrightResult, License, Source, creative_commons

_M = TypeVar("_M", License, Source)


def _with_origin(found: list[License], origin: str) -> list[License]:
    return [license.model_copy(update={"found_in": [origin]}) for license in found]


def _from_field(item: RightsField) -> tuple[list[License], list[Source]]:
    """The licences and sources one metadata value stands for."""
    role, value, origin = item.role, item.value, item.origin
    recognised = _with_origin(creative_commons(value), origin)
    if role in ("copyright", "usage_terms"):
        kind = cast(Literal["copyright", "usage_terms"], role)
        return [License(kind=kind, statement=value, found_in=[origin]), *recognised], []
    if role == "license":
        if recognised:
            return recognised, []
        is_url = value.startswith(("http://", "https://"))
        return [
            License(
                kind="license",
                url=value if is_url else None,
                statement=None if is_url else value,
                found_in=[origin],
            )
        ], []
    if role == "marked":
        if value.strip().lower() == "false":
            return [
                License(kind="license", name="Public Domain", statement="public domain", found_in=[origin])
            ], []
        if value.strip().lower() == "true":
            return [License(kind="copyright", statement="rights-managed", found_in=[origin])], []
        return [], []
    if role == "web_statement":
        return recognised, [Source(kind="web_statement", url=value, found_in=[origin])]
    if role == "attribution_url":
        return [], [Source(kind="attribution", url=value, found_in=[origin])]
    if role in ("creator", "credit", "source", "owner", "attribution"):
        return recognised, [Source(kind=role, name=value, found_in=[origin])]  # type: ignore[arg-type]
    return [], []


def _from_c2pa(findings: C2paFindings) -> tuple[list[License], list[Source]]:
    """The licences and sources of a C2PA manifest."""
    if not findings.present:
        return [], []
    if not findings.read:
        return [], [Source(kind="c2pa_manifest", detail=findings.problem, found_in=["c2pa"])]
    details = [
        f"claim generator: {findings.claim_generator}" if findings.claim_generator else None,
        f"signed by: {findings.signer_name}" if findings.signer_name else None,
        f"validation: {findings.validation_state}" if findings.validation_state else None,
    ]
    sources = [
        Source(
            kind="c2pa_manifest",
            name=findings.signer,
            detail="; ".join(detail for detail in details if detail) or None,
            verified=findings.verified,
            found_in=["c2pa"],
        ),
        *(Source(kind="creator", name=author, found_in=["c2pa:CreativeWork"]) for author in findings.authors),
    ]
    licenses: list[License] = []
    for notice in findings.copyright_notices:
        licenses += _from_field(RightsField("copyright", notice, "c2pa:CreativeWork"))[0]
    for license_text in findings.licenses:
        licenses += _from_field(RightsField("license", license_text, "c2pa:CreativeWork"))[0]
    return licenses, sources


def _merged(entries: list[_M]) -> list[_M]:
    """Entries that say the same thing folded into one, their ``found_in`` joined, in first-seen order."""
    merged: dict[str, _M] = {}
    for entry in entries:
        key = entry.model_dump_json(exclude={"found_in"})
        previous = merged.get(key)
        if previous is None:
            merged[key] = entry
        else:
            origins = previous.found_in + [
                origin for origin in entry.found_in if origin not in previous.found_in
            ]
            merged[key] = previous.model_copy(update={"found_in": origins})
    return list(merged.values())


def find_rights(data: bytes, mimetype: str | None = None) -> CopyrightResult:
    """Every licence and source ``data`` declares about itself."""
    licenses: list[License] = []
    sources: list[Source] = []
    for item in read_embedded(data).fields:
        found_licenses, found_sources = _from_field(item)
        licenses += found_licenses
        sources += found_sources
    sniffed = mimetype or sniff_mimetype(data)
    c2pa_licenses, c2pa_sources = _from_c2pa(read_c2pa(data, None if sniffed == OCTET_STREAM else sniffed))
    return CopyrightResult(
        licenses=_merged(licenses + c2pa_licenses), sources=_merged(sources + c2pa_sources)
    )


def find_copyright(data: bytes) -> dict[str, Any]:
    """The ``copyright`` data for the file ``data`` (module level: runs in the worker pool)."""
    return find_rights(data).model_dump(mode="json")
