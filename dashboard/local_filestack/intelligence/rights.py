"""What ``copyright`` reports: licences and rights statements, and where the image came from.

Both lists hold typed entries; each names the metadata fields it was read from
(``found_in``), so a reader can tell an EXIF notice from a signed C2PA claim.
Creative Commons licences are recognised from their URLs
(``creativecommons.org/licenses/by-sa/4.0/``) and from their short names
(``CC BY-SA 4.0``, ``CC0``) wherever they appear.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LicenseKind = Literal["copyright", "license", "usage_terms"]
SourceKind = Literal["creator", "credit", "source", "owner", "web_statement", "attribution", "c2pa_manifest"]

_CC_URL = re.compile(
    r"https?://(?:www\.)?creativecommons\.org/"
    r"(?:licenses/(?P<terms>by(?:-nc)?(?:-nd|-sa)?)/(?P<version>\d\.\d)"
    r"|publicdomain/(?P<domain>zero|mark)/(?P<domain_version>\d\.\d))/?",
    re.IGNORECASE,
)
_CC_NAME = re.compile(
    r"\bCC[\s-]?(?:(?P<terms>BY(?:[\s-]NC)?(?:[\s-](?:ND|SA))?)(?:[\s-](?P<version>\d\.\d))?|(?P<zero>0)(?:[\s-](?P<zero_version>1\.0))?)\b",
    re.IGNORECASE,
)


class License(BaseModel):
    """A licence or rights statement found in the file."""

    model_config = ConfigDict(frozen=True)

    kind: LicenseKind = Field(description="copyright notice, licence, or usage terms")
    statement: str | None = Field(default=None, description="the text as written in the file")
    name: str | None = Field(default=None, description="a recognised licence, e.g. 'CC BY-SA 4.0'")
    spdx: str | None = Field(default=None, description="its SPDX identifier, e.g. 'CC-BY-SA-4.0'")
    url: str | None = None
    found_in: list[str] = Field(default_factory=list, description="metadata fields it was read from")


class Source(BaseModel):
    """Who made, owns or vouches for the image, as the file says."""

    model_config = ConfigDict(frozen=True)

    kind: SourceKind
    name: str | None = None
    url: str | None = None
    detail: str | None = None
    verified: bool | None = Field(
        default=None, description="for C2PA manifests: whether the signature and hashes validated"
    )
    found_in: list[str] = Field(default_factory=list)


class CopyrightResult(BaseModel):
    """The ``copyright`` action's data."""

    model_config = ConfigDict(frozen=True)

    licenses: list[License]
    sources: list[Source]


def _cc_license(terms: str, version: str | None, url: str | None) -> License:
    """A Creative Commons licence from its terms (``by-sa``) and version."""
    parts = [part.upper() for part in re.split(r"[\s-]+", terms.strip()) if part]
    name = "CC " + "-".join(parts) + (f" {version}" if version else "")
    spdx = "CC-" + "-".join(parts) + (f"-{version}" if version else "")
    if url is None and version is not None:
        url = f"https://creativecommons.org/licenses/{'-'.join(parts).lower()}/{version}/"
    return License(kind="license", name=name, spdx=spdx, url=url)


def creative_commons(text: str) -> list[License]:
    """The Creative Commons licences named or linked in ``text``."""
    found: list[License] = []
    for match in _CC_URL.finditer(text):
        url = match.group(0)
        if match.group("terms"):
            found.append(_cc_license(match.group("terms"), match.group("version"), url))
        elif match.group("domain").lower() == "zero":
            found.append(License(kind="license", name="CC0 1.0", spdx="CC0-1.0", url=url))
        else:
            found.append(License(kind="license", name="Public Domain Mark 1.0", url=url))
    if found:
        return found
    for match in _CC_NAME.finditer(text):
        if match.group("zero"):
            found.append(
                License(
                    kind="license",
                    name="CC0 1.0",
                    spdx="CC0-1.0",
                    url="https://creativecommons.org/publicdomain/zero/1.0/",
                )
            )
        elif match.group("terms"):
            found.append(_cc_license(match.group("terms"), match.group("version"), None))
    return found
