"""The CDN's analysis tasks: ``tags``, ``sfw``, ``ocr`` and ``copyright``.

They run the same code as the workflow actions of the same names
(:mod:`dashboard.local_filestack.intelligence`), on the source or on the result of the
tasks before them, and answer in the shapes Filestack's SDKs read:

* ``tags`` -- ``{"tags": {"auto": {label: 0-100}, "user": null}}`` (Python ``Filelink.tags()``,
  PHP ``getTags``, Ruby ``tags``, Go ``TagsResponse``);
* ``sfw`` -- ``{"sfw": bool}`` (Go ``SfwResponse``; the workflow action also reports a score);
* ``ocr`` -- ``{"text": ..., "lines": [...]}``;
* ``copyright`` -- the workflow action's ``{"licenses": [...], "sources": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dashboard.local_filestack.http.errors import ServiceError
from dashboard.local_filestack.imaging import Limits
from dashboard.local_filestack.intelligence import (
    IntelligenceError,
    ModelUnavailable,
    check_sfw,
    find_copyright,
    read_text,
    tag_image,
)

Analysis = Callable[[bytes, Limits], dict[str, Any]]


def sfw_answer(data: bytes, limits: Limits) -> dict[str, Any]:
    """``{"sfw": bool}``: the workflow action's verdict, without its score."""
    return {"sfw": bool(check_sfw(data, limits)["sfw"])}


def copyright_answer(data: bytes, limits: Limits) -> dict[str, Any]:
    """``copyright`` reads metadata only, so the pixel limits do not apply."""
    return find_copyright(data)


ANALYSES: dict[str, Analysis] = {
    "tags": tag_image,
    "sfw": sfw_answer,
    "ocr": read_text,
    "copyright": copyright_answer,
}
"""The CDN's analysis tasks and the function each runs (module level: they run on worker threads)."""


def analyse(name: str, data: bytes, limits: Limits) -> dict[str, Any]:
    """Run analysis ``name`` on ``data`` (blocking); errors as the HTTP answers they are."""
    try:
        return ANALYSES[name](data, limits)
    except ModelUnavailable as exc:
        raise ServiceError(400, f"task '{name}' is not available in the embedded service: {exc}") from exc
    except IntelligenceError as exc:
        raise ServiceError(400, f"{name}: {exc}") from exc
