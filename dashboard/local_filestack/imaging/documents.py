"""PDF sources, rendered by PDFium (``pypdfium2``): a page as an image, the document's facts,
every page as an image.

* a PDF source of an image chain is its page ``output=page:N`` (default 1) rendered at
  ``output=density:D`` dots per inch (default 72, so a point is a pixel);
* ``output=docinfo:true`` and ``pdfinfo`` answer JSON: the number of pages and each page's
  size in points;
* ``doc_to_images`` answers a zip of every page as PNG (``page-001.png``...).

The page's size at the asked density is checked against ``max_pixels`` before anything is
rendered; documents of more than :data:`MAX_PAGES` pages are refused.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from .archive import pack_zip
from .decode import Decoded, SourceMetadata
from .encode import Rendered
from .errors import ImageTooLarge, NotAnImage, UnsupportedTask
from .exports import json_answer
from .limits import Limits

PDF_TYPE = "application/pdf"
DEFAULT_DENSITY = 72
POINTS_PER_INCH = 72
MAX_PAGES = 500


def is_pdf(data: bytes) -> bool:
    """True for bytes that start like a PDF."""
    return data[:1024].lstrip().startswith(b"%PDF-")


def _open(data: bytes):  # type: ignore[no-untyped-def]
    try:
        import pypdfium2 as pdfium
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise UnsupportedTask(
            "PDF documents are not available in the embedded service: pypdfium2 is missing"
        ) from exc
    try:
        document = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise NotAnImage(f"file is not a readable PDF: {exc}") from exc
    if len(document) > MAX_PAGES:
        document.close()
        raise ImageTooLarge(f"the document has {len(document)} pages, over the limit of {MAX_PAGES}")
    return document


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    """Every page's width and height in points."""
    document = _open(data)
    try:
        return [tuple(document[index].get_size()) for index in range(len(document))]  # type: ignore[misc]
    finally:
        document.close()


def render_page(data: bytes, page: int, density: int, limits: Limits) -> Image.Image:
    """Page ``page`` (1-based) at ``density`` dpi, as RGB."""
    document = _open(data)
    try:
        if not 1 <= page <= len(document):
            raise UnsupportedTask(
                f"output: parameter 'page' is {page}, the document has {len(document)} pages"
            )
        pdf_page = document[page - 1]
        scale = density / POINTS_PER_INCH
        width, height = (round(side * scale) for side in pdf_page.get_size())
        if width * height > limits.max_pixels:
            raise ImageTooLarge(
                f"page {page} at {density} dpi would be {width}x{height} ({width * height:,} pixels), "
                f"over the limit of {limits.max_pixels:,} pixels"
            )
        image: Image.Image = pdf_page.render(scale=scale).to_pil()
        return image.convert("RGB")
    finally:
        document.close()


def decode_page(data: bytes, page: int | None, density: int | None, limits: Limits) -> Decoded:
    """A page of a PDF as the pipeline's decoded image (kept as PNG unless asked otherwise)."""
    image = render_page(data, page or 1, density or DEFAULT_DENSITY, limits)
    return Decoded(image=image, metadata=SourceMetadata(mimetype="image/png"), full_size=image.size)


@dataclass(frozen=True)
class DocumentExport:
    """A last task answered from the document itself rather than from one rendered page."""

    kind: str
    """``docinfo`` (``output=docinfo:true``), ``pdfinfo`` or ``doc_to_images``."""

    def export_document(self, data: bytes, density: int | None, limits: Limits) -> Rendered:
        """The answer for the PDF ``data``."""
        if not is_pdf(data):
            raise UnsupportedTask(f"{self.kind} needs a PDF document")
        if self.kind == "doc_to_images":
            pages = []
            for number in range(1, len(page_sizes(data)) + 1):
                out = io.BytesIO()
                render_page(data, number, density or DEFAULT_DENSITY, limits).save(out, "PNG")
                pages.append((f"page-{number:03d}.png", out.getvalue()))
            return Rendered(data=pack_zip(pages), mimetype="application/zip", width=None, height=None)
        sizes = page_sizes(data)
        dimensions = [
            {"page": n, "width": round(w, 2), "height": round(h, 2)} for n, (w, h) in enumerate(sizes, 1)
        ]
        if self.kind == "pdfinfo":
            return json_answer({"numberofpages": len(sizes), "dimensions": dimensions})
        return json_answer({"numpages": len(sizes), "dimensions": dimensions})
