"""C2PA (Content Credentials) manifests: found by their JUMBF box, read with ``c2pa-python``.

A manifest store is recognised in any container by its JUMBF description box
(``jumd`` with the C2PA type UUID). When ``c2pa-python`` is installed the store
is read and validated offline -- remote manifests and OCSP are never fetched --
and the active manifest yields its signer, its claim generator and, from a
``stds.schema-org.CreativeWork`` assertion, authors, copyright notice and
licence. Without ``c2pa-python`` (or for a container it cannot read) the
presence of the manifest is still reported.
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass, field
from typing import Any

logger = logging.getLogger(__name__)

C2PA_JUMBF_MARKER = b"jumdc2pa\x00\x11\x00\x10\x80\x00\x00\xaa\x00\x38\x9b\x71"
"""A JUMBF description box (``jumd``) whose type is the C2PA manifest store UUID."""

OFFLINE_SETTINGS: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
"""c2pa-rs settings: never reach the network while reading."""

CREATIVE_WORK = "stds.schema-org.CreativeWork"


@dataclass
class C2paFindings:
    """What a file's C2PA manifest says, or why it could not be read."""

    present: bool
    read: bool = False
    problem: str | None = None
    signer: str | None = None
    signer_name: str | None = None
    claim_generator: str | None = None
    validation_state: str | None = None
    authors: list[str] = field(default_factory=list)
    copyright_notices: list[str] = field(default_factory=list)
    licenses: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool | None:
        """True when the manifest validated (``Valid`` or ``Trusted``); None when not read."""
        if not self.read:
            return None
        return self.validation_state in ("Valid", "Trusted")


def has_c2pa_manifest(data: bytes) -> bool:
    """True when ``data`` holds a C2PA manifest store."""
    return C2PA_JUMBF_MARKER in data


def read_c2pa(data: bytes, mimetype: str | None) -> C2paFindings:
    """The C2PA manifest of ``data`` (of type ``mimetype``), read offline when possible."""
    if not has_c2pa_manifest(data):
        return C2paFindings(present=False)
    try:
        import c2pa
    except ImportError:
        return C2paFindings(present=True, problem="c2pa-python is not installed; the manifest was not read")
    if mimetype is None:
        return C2paFindings(present=True, problem="unknown file type; the manifest was not read")
    try:
        context = c2pa.Context.from_dict(OFFLINE_SETTINGS)
        with c2pa.Reader(mimetype, io.BytesIO(data), context=context) as reader:
            store = json.loads(reader.json())
    except (c2pa.C2paError, ValueError) as exc:
        logger.info("could not read the C2PA manifest: %s", exc)
        return C2paFindings(present=True, problem=f"the manifest could not be read: {exc}")
    return _findings(store)


def _findings(store: dict[str, Any]) -> C2paFindings:
    """Signer, generator and CreativeWork facts of the active manifest of ``store``."""
    manifest = store.get("manifests", {}).get(store.get("active_manifest") or "", {})
    signature = manifest.get("signature_info") or {}
    generators = manifest.get("claim_generator_info") or []
    generator = manifest.get("claim_generator") or (
        " ".join(str(part) for part in (generators[0].get("name"), generators[0].get("version")) if part)
        if generators and isinstance(generators[0], dict)
        else None
    )
    findings = C2paFindings(
        present=True,
        read=True,
        signer=_string(signature.get("issuer")),
        signer_name=_string(signature.get("common_name")),
        claim_generator=_string(generator),
        validation_state=_string(store.get("validation_state")),
    )
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(CREATIVE_WORK):
            continue
        work = assertion.get("data") or {}
        authors = work.get("author") or []
        for author in authors if isinstance(authors, list) else [authors]:
            name = author.get("name") if isinstance(author, dict) else author
            if _string(name):
                findings.authors.append(str(name))
        for key, target in (("copyrightNotice", findings.copyright_notices), ("license", findings.licenses)):
            value = work.get(key)
            text = value.get("url") or value.get("name") if isinstance(value, dict) else value
            if _string(text):
                target.append(str(text))
    return findings


def _string(value: Any) -> str | None:
    """``value`` when it is non-empty text."""
    return value if isinstance(value, str) and value.strip() else None
