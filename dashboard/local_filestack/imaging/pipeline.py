"""``transform``: decode once, run a Filestack task chain left to right, encode."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

from PIL import Image

from dashboard.filestack_protocol.grammar import Task

from .decode import Decoded, decode
from .documents import DocumentExport, decode_page, is_pdf
from .encode import Rendered, encode
from .errors import ImageTooLarge
from .faces import FaceFinder
from .limits import Limits
from .steps import Resize, Size, Step
from .tasks import plan

QUALITY_MARGIN = 2.0
"""Shrink-on-load keeps at least this many source pixels per output pixel for the final resample."""


def transform(
    data: bytes,
    tasks: Sequence[Task],
    limits: Limits = Limits(),
    find_faces: FaceFinder | None = None,
    assets: Mapping[str, bytes] | None = None,
) -> Rendered:
    """Apply ``tasks`` to the image in ``data`` and encode the result.

    ``assets`` are the other stored files the tasks name (``watermark``, ``collage``), by
    handle. A PDF source is rendered page by page (``output=page:``, ``density:``); a chain
    ending in an export (``imagesize``, ``ascii``, ``detect_faces=export:true``,
    ``output=docinfo:true``, ``pdfinfo``, ``doc_to_images``) answers JSON, HTML or a zip.

    The chain is checked before any decoding, the header is checked against
    ``limits``, and the image is decoded once — by a JPEG at a reduced size when
    the first resize allows it. EXIF orientation is applied before the first
    task. Face-aware tasks look for faces with ``find_faces`` (without one they use their
    fallback alignment). CPU-bound and synchronous: run it in a worker thread or process.

    Raises :class:`UnsupportedTask`, :class:`NotAnImage` or :class:`ImageTooLarge`.
    """
    steps, settings, export = plan(tasks, find_faces, assets, limits)
    if isinstance(export, DocumentExport):
        return export.export_document(data, settings.density, limits)
    if is_pdf(data):
        decoded = decode_page(data, settings.page, settings.density, limits)
    else:
        decoded = decode(data, limits, scale_for=functools.partial(decode_scale, steps))
    image = _run(steps, decoded, limits)
    if export is not None:
        return export.export(image)
    return encode(image, settings, decoded.metadata)


def decode_scale(steps: Sequence[Step], size: Size) -> float:
    """The smallest decode scale (≤ 1) of an upright image of ``size`` that ``steps`` allow.

    Only a resize reached through scale-invariant steps (mirrors, quarter turns,
    colour changes) lets the image be decoded smaller, and then only down to
    :data:`QUALITY_MARGIN` times the resize's output.
    """
    for step in steps:
        if isinstance(step, Resize):
            target_width, target_height = step.output_size(size)
            needed = max(target_width / size[0], target_height / size[1])
            return min(1.0, needed * QUALITY_MARGIN)
        if not step.is_scale_invariant():
            return 1.0
        size = step.output_size(size)
    return 1.0


def _run(steps: Sequence[Step], decoded: Decoded, limits: Limits) -> Image.Image:
    """Apply ``steps`` in order, refusing any that would exceed ``limits.max_pixels``.

    After shrink-on-load the image is smaller than its full-resolution size;
    that nominal size is carried through the scale-invariant steps so the
    first resize computes exactly the geometry a full decode would have had.
    """
    image = decoded.image
    nominal: Size | None = decoded.full_size if image.size != decoded.full_size else None
    for step in steps:
        _check_canvas(step.output_size(nominal or image.size), limits)
        if isinstance(step, Resize):
            image = step.apply(image, nominal)
            nominal = None
        else:
            image = step.apply(image)
            nominal = step.output_size(nominal) if nominal else None
    return image


def _check_canvas(size: Size, limits: Limits) -> None:
    """Refuse a step whose result would hold more pixels than allowed."""
    width, height = size
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"the result would be {width}x{height} ({width * height:,} pixels), "
            f"over the limit of {limits.max_pixels:,} pixels"
        )
