"""Filestack-compatible image processing on Pillow.

``transform`` runs a chain of Filestack CDN tasks (``resize``, ``crop``,
``rotate``, ``output``...) over untrusted image bytes; ``probe`` reads an
image's header; ``sniff_mimetype`` tells a file's type from its content;
``validate_tasks`` checks a chain without decoding anything.
"""

from .archive import pack_zip
from .combine import animate
from .decode import ImageInfo, exif_tags, probe
from .encode import Rendered
from .errors import ImageTooLarge, ImagingError, NotAnImage, UnsupportedTask
from .faces import FaceBox, FaceFinder
from .limits import Limits
from .pipeline import transform
from .sniff import sniff_mimetype
from .tasks import IMAGE_TASKS, NON_IMAGE_TASKS, REFUSED_TASKS, referenced_files, validate_tasks

__all__ = [
    "IMAGE_TASKS",
    "NON_IMAGE_TASKS",
    "REFUSED_TASKS",
    "FaceBox",
    "FaceFinder",
    "ImageInfo",
    "ImageTooLarge",
    "ImagingError",
    "Limits",
    "NotAnImage",
    "Rendered",
    "UnsupportedTask",
    "animate",
    "exif_tags",
    "pack_zip",
    "probe",
    "referenced_files",
    "sniff_mimetype",
    "transform",
    "validate_tasks",
]
