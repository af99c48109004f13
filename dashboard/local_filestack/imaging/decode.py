"""Opening untrusted image bytes: sniffing, header-only limit checks, decoding.

Nothing is decoded before the content type, the declared pixel count and the
frame count have been checked. Decoding happens once, optionally at a reduced
size (shrink-on-load: JPEG through Pillow's ``draft``, PNG and WebP through
libvips when installed), and ends with an upright ``RGB`` or ``RGBA`` image.
"""

from __future__ import annotations

import functools
import io
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

from PIL import ExifTags, Image, ImageFile, JpegImagePlugin

from . import vips_shrink
from .errors import ImageTooLarge, NotAnImage
from .limits import Limits
from .sniff import sniff_mimetype

Size = tuple[int, int]

DECODE_ERRORS: tuple[type[BaseException], ...] = (
    Image.UnidentifiedImageError,
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
)
"""What Pillow raises on malformed, truncated or unsupported data."""

UNREADABLE: tuple[type[BaseException], ...] = (Image.DecompressionBombError, *DECODE_ERRORS)
"""What reading an image can raise: a decompression bomb or malformed data."""

_PILLOW_FORMATS: dict[str, str] = {
    "image/jpeg": "JPEG",
    "image/png": "PNG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
    "image/bmp": "BMP",
    "image/tiff": "TIFF",
    "image/heic": "HEIF",
    "image/avif": "AVIF",
}
"""The one Pillow plugin allowed to open each sniffed type."""

_TRANSPOSE_FOR_ORIENTATION: dict[int, Image.Transpose] = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> transposition to upright, the same table as ``ImageOps.exif_transpose``."""

_SIXTEEN_BIT_TO_EIGHT = 1 / 257


def _register_optional_plugins() -> None:
    """Let Pillow open HEIC (and AVIF, if Pillow lacks it) when ``pillow_heif`` is installed."""
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except ImportError:
        return
    pillow_heif.register_heif_opener()
    Image.init()
    if "AVIF" not in Image.OPEN and hasattr(pillow_heif, "register_avif_opener"):
        pillow_heif.register_avif_opener()


_register_optional_plugins()


@dataclass(frozen=True)
class ImageInfo:
    """What the header says about an image; ``width``/``height`` are after EXIF orientation."""

    mimetype: str
    format: str
    width: int
    height: int


@dataclass(frozen=True)
class SourceMetadata:
    """What the encoder may carry over from the source file."""

    mimetype: str
    icc_profile: bytes | None = None
    exif: bytes | None = None
    """The source's EXIF with the orientation tag removed (it has been applied)."""
    jpeg_qtables: dict[int, list[int]] | None = None
    jpeg_subsampling: int | None = None
    cmyk: bool = False
    """The source was a CMYK image (``output=colorspace:input`` keeps it so)."""


@dataclass(frozen=True)
class Decoded:
    """An upright ``RGB``/``RGBA`` image and what is known of its source."""

    image: Image.Image
    metadata: SourceMetadata
    full_size: Size
    """The upright size at full resolution; larger than ``image.size`` after shrink-on-load."""


@functools.cache
def supported_mimetypes() -> frozenset[str]:
    """The image types this process can decode (HEIC and AVIF depend on installed plugins)."""
    Image.init()
    return frozenset(mime for mime, name in _PILLOW_FORMATS.items() if name in Image.OPEN)


def probe(data: bytes, limits: Limits = Limits()) -> ImageInfo:
    """Read the header of ``data``: type and upright size, without decoding pixels.

    Raises :class:`NotAnImage` for anything but a supported, readable image and
    :class:`ImageTooLarge` when it declares too many pixels or frames.
    """
    image, mimetype = _open(data, limits)
    width, height = _upright_size(image.size, _header_orientation(image))
    return ImageInfo(mimetype=mimetype, format=mimetype.split("/")[1], width=width, height=height)


def decode(
    data: bytes,
    limits: Limits = Limits(),
    scale_for: Callable[[Size], float] | None = None,
) -> Decoded:
    """Decode the first frame of ``data`` into an upright ``RGB`` or ``RGBA`` image.

    ``scale_for`` receives the upright full-resolution size and returns the
    smallest scale (≤ 1) the caller can work from; JPEGs are then decoded by
    libjpeg at 1/2, 1/4 or 1/8 of their size when that still meets it, and
    PNG and WebP by libvips at a reduced size when ``pyvips`` is installed
    (:mod:`.vips_shrink`).
    """
    image, mimetype = _open(data, limits)
    orientation = _header_orientation(image)
    full_size = _upright_size(image.size, orientation)
    pixels = _shrink_on_load(image, data, mimetype, scale_for(full_size)) if scale_for else None
    if pixels is None:
        _load(image, mimetype)
        if image.format == "PNG":
            # A PNG's eXIf chunk may follow the pixel data, so look again once loaded.
            orientation = _orientation(image)
            full_size = _upright_size(image.size, orientation)
        pixels = image
    metadata = _metadata(image, mimetype, read_exif=pixels is image or image.format != "PNG")
    working = _to_working_mode(_transpose_upright(pixels, orientation), mimetype)
    # Metadata travels in ``metadata`` only: Pillow's encoders would otherwise
    # fall back to the source's ICC profile, comments and the like in ``info``.
    working.info = {}
    return Decoded(image=working, metadata=metadata, full_size=full_size)


def _open(data: bytes, limits: Limits) -> tuple[ImageFile.ImageFile, str]:
    """Open ``data`` lazily with the one plugin matching its sniffed type, limits checked.

    The image reads from an in-memory buffer, so there is no file handle to
    release and the image is left open for the caller to decode.
    """
    mimetype = sniff_mimetype(data)
    if mimetype == "image/svg+xml":
        raise NotAnImage("SVG images are not processed")
    plugin = _PILLOW_FORMATS.get(mimetype)
    if plugin is None or mimetype not in supported_mimetypes():
        raise NotAnImage(f"file is not a supported image (detected: {mimetype})")
    try:
        image = Image.open(io.BytesIO(data), formats=[plugin])
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"image is too large to process: {error}") from error
    except DECODE_ERRORS as error:
        raise _corrupt(mimetype) from error
    _check_limits(image, mimetype, limits)
    return image, mimetype


def _check_limits(image: ImageFile.ImageFile, mimetype: str, limits: Limits) -> None:
    """Refuse empty images and images declaring too many pixels or frames."""
    width, height = image.size
    if width < 1 or height < 1:
        raise _corrupt(mimetype)
    if width * height > limits.max_pixels:
        raise ImageTooLarge(
            f"image is {width}x{height} ({width * height:,} pixels), "
            f"over the limit of {limits.max_pixels:,} pixels"
        )
    try:
        frames = getattr(image, "n_frames", 1)
    except DECODE_ERRORS as error:
        raise _corrupt(mimetype) from error
    if frames > limits.max_frames:
        raise ImageTooLarge(f"image has {frames:,} frames, over the limit of {limits.max_frames:,} frames")


def _shrink_on_load(
    image: ImageFile.ImageFile, data: bytes, mimetype: str, scale: float
) -> Image.Image | None:
    """Decode at a size of at least ``scale`` × the full size where the format allows.

    For a JPEG, ``draft`` asks libjpeg for the largest of the 1/8, 1/4 and 1/2
    reductions that still meets the request and returns None: the pixels are
    then loaded as usual. A PNG or WebP may come back already decoded, reduced,
    from libvips; any other image returns None untouched.
    """
    if image.format in ("JPEG", "MPO"):
        if scale < 0.5:
            width, height = image.size
            request = (max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale)))
            image.draft(None, request)
        return None
    try:
        return vips_shrink.shrink_on_load(image, data, scale)
    except vips_shrink.VipsDecodeError as error:
        raise _corrupt(mimetype) from error


def _load(image: ImageFile.ImageFile, mimetype: str) -> None:
    """Decode the pixels, turning every decoder failure into :class:`NotAnImage`."""
    try:
        image.load()
    except Image.DecompressionBombError as error:
        raise ImageTooLarge(f"image is too large to process: {error}") from error
    except DECODE_ERRORS as error:
        raise _corrupt(mimetype) from error


def _header_orientation(image: ImageFile.ImageFile) -> int:
    """The EXIF orientation known from the header alone (1 when absent or unreadable).

    A PNG whose EXIF is not in its header is reported upright, since finding
    out would mean decoding it.
    """
    if image.format == "PNG" and "exif" not in image.info:
        return 1
    return _orientation(image)


def _orientation(image: Image.Image) -> int:
    """The EXIF (or XMP) orientation of ``image``, 1 when absent or unreadable."""
    exif = _exif(image)
    if exif is None:
        return 1
    orientation = exif.get(ExifTags.Base.Orientation, 1)
    return orientation if orientation in _TRANSPOSE_FOR_ORIENTATION else 1


def _exif(image: Image.Image) -> Image.Exif | None:
    """The image's EXIF, or None when it cannot be parsed."""
    try:
        return image.getexif()
    except DECODE_ERRORS:
        return None


def _upright_size(size: Size, orientation: int) -> Size:
    """``size`` after applying ``orientation`` (5–8 swap width and height)."""
    return (size[1], size[0]) if orientation >= 5 else size


def _transpose_upright(image: Image.Image, orientation: int) -> Image.Image:
    """``image`` turned upright according to its EXIF ``orientation``."""
    method = _TRANSPOSE_FOR_ORIENTATION.get(orientation)
    return image if method is None else image.transpose(method)


def _metadata(image: ImageFile.ImageFile, mimetype: str, *, read_exif: bool = True) -> SourceMetadata:
    """ICC profile, orientation-free EXIF and JPEG tables of the source.

    ``read_exif=False`` is for a PNG decoded elsewhere and known to hold no
    EXIF: asking Pillow would decode it in full to look for a late ``eXIf``.
    """
    icc_profile = image.info.get("icc_profile") or None
    is_jpeg = isinstance(image, JpegImagePlugin.JpegImageFile)
    return SourceMetadata(
        mimetype=mimetype,
        icc_profile=icc_profile if isinstance(icc_profile, bytes) else None,
        exif=_exif_without_orientation(image) if read_exif else None,
        jpeg_qtables=getattr(image, "quantization", None) if is_jpeg else None,
        jpeg_subsampling=JpegImagePlugin.get_sampling(image) if is_jpeg else None,
        cmyk=image.mode == "CMYK",
    )


def _exif_without_orientation(image: Image.Image) -> bytes | None:
    """The EXIF block to carry over, minus the orientation already applied to the pixels."""
    exif = _exif(image)
    if exif is None:
        return None
    exif.pop(ExifTags.Base.Orientation, None)
    if not exif:
        return None
    try:
        return exif.tobytes()
    except DECODE_ERRORS:
        return None


def _to_working_mode(image: Image.Image, mimetype: str) -> Image.Image:
    """Convert any decoded mode to ``RGB`` or, when it carries transparency, ``RGBA``."""
    try:
        return _convert_to_working_mode(image)
    except DECODE_ERRORS as error:
        raise NotAnImage(f"file is not a supported image: {mimetype} in colour mode {image.mode}") from error


def _convert_to_working_mode(image: Image.Image) -> Image.Image:
    """CMYK, grey, palette, 16-bit and the other modes Pillow decodes, as RGB or RGBA."""
    mode = image.mode
    if mode in ("RGB", "RGBA"):
        return image
    if mode.startswith("I") or mode == "F":
        return _to_eight_bit_grey(image).convert("RGB")
    if mode == "P":
        return image.convert("RGBA" if "transparency" in image.info else "RGB")
    if mode in ("LA", "La", "PA", "RGBa"):
        return image.convert("RGBA")
    if mode in ("L", "1") and "transparency" in image.info:
        return image.convert("RGBA")
    return image.convert("RGB")


def _to_eight_bit_grey(image: Image.Image) -> Image.Image:
    """Scale 16-bit (``I;16*``, ``I``) or float greys down to 8-bit ``L``.

    ``convert("L")`` would clip rather than scale, turning most of a 16-bit
    image white; 32-bit ``I`` data is taken as 16-bit, as PNG and TIFF use it.
    """
    if image.mode == "F":
        return image.convert("L")
    as_int = image if image.mode == "I" else image.convert("I")
    return as_int.point(lambda level: level * _SIXTEEN_BIT_TO_EIGHT).convert("L")


def _corrupt(mimetype: str) -> NotAnImage:
    """The error for data that matched a type's signature but does not decode."""
    return NotAnImage(f"file is not a readable image: the {mimetype} data is corrupt or truncated")


def exif_tags(data: bytes) -> dict[str, str | int | float]:
    """The EXIF of an image file, by tag name (``Make``, ``DateTime``...), without decoding pixels.

    Values that are not text or numbers (undefined blobs, nested IFDs) are left out; text is
    stripped of NUL padding. Files that are not a supported image have no EXIF: ``{}``.
    """
    mimetype = sniff_mimetype(data)
    plugin = _PILLOW_FORMATS.get(mimetype)
    if plugin is None or mimetype not in supported_mimetypes():
        return {}
    try:
        with Image.open(io.BytesIO(data), formats=[plugin]) as image:
            exif = image.getexif()
            tags = dict(exif.items()) | dict(exif.get_ifd(ExifTags.IFD.Exif).items())
    except UNREADABLE:
        return {}
    found: dict[str, str | int | float] = {}
    for tag, value in tags.items():
        name = ExifTags.TAGS.get(tag, f"Tag{tag}")
        if isinstance(value, bytes):
            continue
        if isinstance(value, str):
            found[name] = value.rstrip("\x00")
        elif isinstance(value, (int, float)):
            found[name] = float(value) if not isinstance(value, int) else value
    return found
