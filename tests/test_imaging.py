"""Behaviour of the Filestack-compatible image pipeline, on images made in the tests."""

from __future__ import annotations

import io
import pickle
import struct
import zipfile
import zlib
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, ImageCms, ImageFile, ImageStat, JpegImagePlugin

from dashboard.filestack_protocol.grammar import Task, Value
from dashboard.local_filestack.imaging import (
    IMAGE_TASKS,
    NON_IMAGE_TASKS,
    ImageInfo,
    ImageTooLarge,
    ImagingError,
    Limits,
    NotAnImage,
    Rendered,
    UnsupportedTask,
    probe,
    sniff_mimetype,
    transform,
    validate_tasks,
)

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


# Helpers


def task(name: str, **params: Value) -> Task:
    return Task(name, dict(params))


def encode(image: Image.Image, fmt: str = "JPEG", **options: object) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        options.setdefault("quality", 95)
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def decoded(rendered: Rendered) -> Image.Image:
    image = Image.open(io.BytesIO(rendered.data))
    image.load()
    return image


def with_marker(size: tuple[int, int] = (1200, 800), marker: int = 100) -> Image.Image:
    """A blue image with a red square in its top-left corner."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, marker, marker))
    return image


def thirds(size: tuple[int, int] = (1200, 800)) -> Image.Image:
    """Vertical bands: red on the left, green in the middle, blue on the right."""
    width, height = size
    image = Image.new("RGB", size, GREEN)
    image.paste(RED, (0, 0, width // 3, height))
    image.paste(BLUE, (2 * width // 3, 0, width, height))
    return image


def noisy(size: tuple[int, int] = (600, 400)) -> Image.Image:
    return Image.effect_noise(size, 60).convert("RGB")


def near(actual: tuple[int, ...], expected: tuple[int, ...], tolerance: int = 40) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def rgb_at(image: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    return tuple(image.convert("RGB").getpixel(xy))


# Resize


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"width": 400, "height": 400, "fit": "crop"}, (400, 400)),
        ({"width": 400, "height": 400, "fit": "clip"}, (400, 267)),
        ({"width": 400, "height": 400}, (400, 267)),
        ({"width": 400, "height": 400, "fit": "scale"}, (400, 400)),
        ({"width": 400, "height": 400, "fit": "max"}, (400, 267)),
        ({"width": 2000, "height": 2000, "fit": "max"}, (1200, 800)),
        ({"width": 2000, "fit": "max"}, (1200, 800)),
        ({"width": 2400, "height": 2400, "fit": "clip"}, (2400, 1600)),
        ({"width": 600}, (600, 400)),
        ({"height": 200}, (300, 200)),
        ({"width": 300, "fit": "crop"}, (300, 200)),
        ({"width": 100, "height": 700, "fit": "crop"}, (100, 700)),
    ],
)
def test_resize_output_dimensions(params: dict[str, Value], expected: tuple[int, int]) -> None:
    rendered = transform(encode(noisy((1200, 800))), [Task("resize", params)])
    assert (rendered.width, rendered.height) == expected
    assert decoded(rendered).size == expected


def test_resize_crop_alignment_keeps_the_requested_side() -> None:
    data = encode(thirds())
    box = {"width": 400, "height": 400, "fit": "crop"}

    left = decoded(transform(data, [task("resize", **box, align="left")]))
    assert near(rgb_at(left, (5, 200)), RED)
    assert near(rgb_at(left, (395, 200)), GREEN)

    right = decoded(transform(data, [task("resize", **box, align="right")]))
    assert near(rgb_at(right, (5, 200)), GREEN)
    assert near(rgb_at(right, (395, 200)), BLUE)

    centre = decoded(transform(data, [task("resize", **box)]))
    assert near(rgb_at(centre, (5, 200)), RED)
    assert near(rgb_at(centre, (200, 200)), GREEN)
    assert near(rgb_at(centre, (395, 200)), BLUE)


def test_resize_crop_vertical_and_paired_alignment() -> None:
    tall = with_marker((800, 1200), marker=200)
    data = encode(tall)
    box = {"width": 400, "height": 400, "fit": "crop"}

    top = decoded(transform(data, [task("resize", **box, align="top")]))
    assert near(rgb_at(top, (10, 10)), RED)
    bottom = decoded(transform(data, [task("resize", **box, align="bottom")]))
    assert near(rgb_at(bottom, (10, 10)), BLUE)

    wide = encode(with_marker((1200, 800), marker=200))
    top_left = decoded(transform(wide, [task("resize", **box, align=["top", "left"])]))
    assert near(rgb_at(top_left, (10, 10)), RED)
    bottom_right = decoded(transform(wide, [task("resize", **box, align=["bottom", "right"])]))
    assert near(rgb_at(bottom_right, (10, 10)), BLUE)


def test_resize_faces_alignment_falls_back_to_centre() -> None:
    data = encode(thirds())
    box = {"width": 400, "height": 400, "fit": "crop"}
    faces = decoded(transform(data, [task("resize", **box, align="faces")]))
    centre = decoded(transform(data, [task("resize", **box, align="center")]))
    assert faces.size == centre.size == (400, 400)
    assert rgb_at(faces, (200, 200)) == rgb_at(centre, (200, 200))


def test_resize_needs_a_dimension_and_checks_ranges() -> None:
    data = encode(noisy())
    with pytest.raises(UnsupportedTask, match="width"):
        transform(data, [task("resize", fit="crop")])
    with pytest.raises(UnsupportedTask, match="'width'"):
        transform(data, [task("resize", width=0)])
    with pytest.raises(UnsupportedTask, match="'height'"):
        transform(data, [task("resize", height=10001)])
    with pytest.raises(UnsupportedTask, match="'fit'"):
        transform(data, [task("resize", width=10, fit="cover")])
    with pytest.raises(UnsupportedTask, match="'align'"):
        transform(data, [task("resize", width=10, align="sideways")])


# Shrink-on-load


@pytest.fixture
def draft_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int] | None]:
    """Record the sizes the pipeline asks the JPEG decoder to draft at."""
    calls: list[tuple[int, int] | None] = []
    original = JpegImagePlugin.JpegImageFile.draft

    def spy(self: JpegImagePlugin.JpegImageFile, mode: str | None, size: tuple[int, int] | None) -> object:
        calls.append(size)
        return original(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    return calls


def render_without_draft(monkeypatch: pytest.MonkeyPatch, data: bytes, tasks: list[Task]) -> Image.Image:
    with monkeypatch.context() as patch:
        patch.setattr(JpegImagePlugin.JpegImageFile, "draft", lambda self, mode, size: None)
        return decoded(transform(data, tasks))


@pytest.mark.parametrize(
    "tasks",
    [
        [task("resize", width=400)],
        [task("resize", width=333, height=251, fit="crop")],
        [task("resize", width=300, height=300, fit="crop", align=["bottom", "right"])],
        [task("flop"), task("rotate", deg=90), task("monochrome"), task("resize", height=150)],
        [task("resize", width=500, height=100, fit="scale")],
    ],
)
def test_shrink_on_load_matches_a_full_decode(
    monkeypatch: pytest.MonkeyPatch,
    draft_calls: list[tuple[int, int] | None],
    tasks: list[Task],
) -> None:
    source = Image.linear_gradient("L").resize((4001, 3001)).convert("RGB")
    source.paste(RED, (0, 0, 1000, 800))
    data = encode(source)

    fast = decoded(transform(data, tasks))
    assert draft_calls, "the JPEG decoder was not asked to shrink on load"
    requested = draft_calls[-1]
    assert requested is not None and requested[0] < 4001 / 2

    full = render_without_draft(monkeypatch, data, tasks)
    assert fast.size == full.size
    difference = ImageChops.difference(fast.convert("RGB"), full.convert("RGB"))
    assert max(ImageStat.Stat(difference).mean) < 3


def test_large_jpeg_is_decoded_at_reduced_size(monkeypatch: pytest.MonkeyPatch) -> None:
    decoded_sizes: list[tuple[int, int]] = []
    original_load = ImageFile.ImageFile.load

    def spy_load(self: ImageFile.ImageFile) -> object:
        result = original_load(self)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(ImageFile.ImageFile, "load", spy_load)
    data = encode(noisy((4000, 3000)))
    rendered = transform(data, [task("resize", width=400)])
    assert (rendered.width, rendered.height) == (400, 300)
    assert decoded_sizes[0] == (1000, 750)


def test_shrink_on_load_with_exif_rotation(
    monkeypatch: pytest.MonkeyPatch, draft_calls: list[tuple[int, int] | None]
) -> None:
    data = encode(with_marker((3000, 2000), marker=600), exif=exif_with_orientation(6))
    tasks = [task("resize", width=200)]
    fast = decoded(transform(data, tasks))
    assert draft_calls
    assert fast.size == (200, 300)
    assert near(rgb_at(fast, (190, 10)), RED)
    assert fast.size == render_without_draft(monkeypatch, data, tasks).size


def test_no_shrink_on_load_when_an_earlier_step_needs_full_resolution(
    draft_calls: list[tuple[int, int] | None],
) -> None:
    data = encode(noisy((2000, 1500)))
    rendered = transform(data, [task("blur", amount=3), task("resize", width=200)])
    assert (rendered.width, rendered.height) == (200, 150)
    assert draft_calls == []


# Crop, rotate, flip, flop


def test_crop_dimensions_and_clamping() -> None:
    data = encode(noisy((1200, 800)))
    inside = transform(data, [task("crop", dim=[100, 50, 300, 200])])
    assert (inside.width, inside.height) == (300, 200)
    clamped = transform(data, [task("crop", dim=[1000, 700, 500, 500])])
    assert (clamped.width, clamped.height) == (200, 100)


def test_crop_keeps_the_chosen_region() -> None:
    rendered = decoded(transform(encode(with_marker()), [task("crop", dim=[0, 0, 50, 50])]))
    assert near(rgb_at(rendered, (25, 25)), RED)


def test_crop_outside_the_image_is_refused() -> None:
    data = encode(noisy((1200, 800)))
    with pytest.raises(UnsupportedTask, match="dim"):
        transform(data, [task("crop", dim=[1300, 0, 10, 10])])
    with pytest.raises(UnsupportedTask, match="dim"):
        validate_tasks([task("crop", dim=[0, 0, 10])])
    with pytest.raises(UnsupportedTask, match="dim"):
        validate_tasks([task("crop", dim=[0, 0, 0, 10])])


def test_rotate_90_is_clockwise_and_swaps_dimensions() -> None:
    rendered = transform(encode(with_marker()), [task("rotate", deg=90)])
    assert (rendered.width, rendered.height) == (800, 1200)
    image = decoded(rendered)
    assert near(rgb_at(image, (790, 10)), RED)
    assert near(rgb_at(image, (10, 10)), BLUE)


def test_rotate_270_moves_the_corner_to_the_bottom_left() -> None:
    image = decoded(transform(encode(with_marker()), [task("rotate", deg=270)]))
    assert image.size == (800, 1200)
    assert near(rgb_at(image, (10, 1190)), RED)


def test_rotate_by_an_angle_expands_and_fills_with_background() -> None:
    data = encode(with_marker((400, 400)))
    white = decoded(transform(data, [task("rotate", deg=45)]))
    assert white.width > 560 and white.height > 560
    assert near(rgb_at(white, (2, 2)), WHITE)
    red = decoded(transform(data, [task("rotate", deg=45, background="ff0000")]))
    assert near(rgb_at(red, (2, 2)), RED)


def test_rotate_exif_keyword_and_ranges() -> None:
    data = encode(noisy((300, 200)))
    same = transform(data, [task("rotate", deg="exif")])
    assert (same.width, same.height) == (300, 200)
    with pytest.raises(UnsupportedTask, match="'deg'"):
        transform(data, [task("rotate", deg=360)])


def test_flip_mirrors_top_to_bottom() -> None:
    image = decoded(transform(encode(with_marker()), [task("flip")]))
    assert near(rgb_at(image, (10, 790)), RED)
    assert near(rgb_at(image, (10, 10)), BLUE)


def test_flop_mirrors_left_to_right() -> None:
    image = decoded(transform(encode(with_marker()), [task("flop")]))
    assert near(rgb_at(image, (1190, 10)), RED)
    assert near(rgb_at(image, (10, 10)), BLUE)


def test_tasks_run_left_to_right() -> None:
    rendered = transform(
        encode(noisy((1200, 800))), [task("crop", dim=[0, 0, 600, 800]), task("rotate", deg=90)]
    )
    assert (rendered.width, rendered.height) == (800, 600)


# Masks and borders


def test_circle_clears_the_corners_and_outputs_png_for_a_jpeg() -> None:
    rendered = transform(encode(noisy((600, 400))), [task("circle")])
    assert rendered.mimetype == "image/png"
    assert rendered.data.startswith(b"\x89PNG")
    image = decoded(rendered).convert("RGBA")
    assert image.size == (400, 400)
    for corner in [(0, 0), (399, 0), (0, 399), (399, 399)]:
        assert image.getpixel(corner)[3] == 0
    assert image.getpixel((200, 200))[3] == 255


def test_circle_with_background_stays_jpeg() -> None:
    rendered = transform(encode(noisy((400, 400))), [task("circle", background="ff0000")])
    assert rendered.mimetype == "image/jpeg"
    assert near(rgb_at(decoded(rendered), (2, 2)), RED)


def test_rounded_corners_are_transparent() -> None:
    rendered = transform(encode(noisy((400, 300))), [task("rounded_corners", radius=50)])
    assert rendered.mimetype == "image/png"
    image = decoded(rendered).convert("RGBA")
    assert image.size == (400, 300)
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((399, 299))[3] == 0
    assert image.getpixel((200, 0))[3] == 255
    assert image.getpixel((200, 150))[3] == 255


def test_rounded_corners_max_radius_and_background() -> None:
    rendered = transform(
        encode(noisy((400, 300))), [task("rounded_corners", radius="max", background="white")]
    )
    assert rendered.mimetype == "image/jpeg"
    assert near(rgb_at(decoded(rendered), (3, 3)), WHITE)


def test_border_adds_width_on_every_side() -> None:
    rendered = transform(encode(noisy((300, 200))), [task("border", width=10, color="ff0000")])
    assert (rendered.width, rendered.height) == (320, 220)
    assert near(rgb_at(decoded(rendered), (3, 3)), RED)


def test_all_digit_hex_colour_typed_as_integer_is_read_as_hex() -> None:
    data = encode(Image.new("RGB", (50, 50), WHITE))
    rendered = transform(data, [task("border", width=5, color=0)])
    assert near(rgb_at(decoded(rendered), (1, 1)), (0, 0, 0))


# Filters


def test_colour_filters() -> None:
    data = encode(Image.new("RGB", (64, 64), (200, 40, 40)), "PNG")
    negative = decoded(transform(data, [task("negative")]))
    assert rgb_at(negative, (5, 5)) == (55, 215, 215)

    grey = rgb_at(decoded(transform(data, [task("monochrome")])), (5, 5))
    assert grey[0] == grey[1] == grey[2]

    black_white = decoded(transform(data, [task("blackwhite", threshold=90)]))
    assert rgb_at(black_white, (5, 5)) == (0, 0, 0)

    dark = decoded(transform(data, [task("modulate", brightness=0)]))
    assert rgb_at(dark, (5, 5)) == (0, 0, 0)
    desaturated = rgb_at(decoded(transform(data, [task("modulate", saturation=0)])), (5, 5))
    assert max(desaturated) - min(desaturated) <= 2
    hue = rgb_at(decoded(transform(data, [task("modulate", hue=120)])), (5, 5))
    assert hue[1] > hue[0] and hue[1] > hue[2]

    sepia = rgb_at(decoded(transform(data, [task("sepia")])), (5, 5))
    assert sepia[0] >= sepia[1] >= sepia[2]


def test_detail_filters_keep_size_and_change_pixels() -> None:
    source = noisy((200, 100))
    data = encode(source, "PNG")
    for chain in (
        [task("blur", amount=4)],
        [task("sharpen", amount=3)],
        [task("pixelate", amount=10)],
        [task("auto_image")],
    ):
        image = decoded(transform(data, chain))
        assert image.size == (200, 100), chain

    pixelated = decoded(transform(data, [task("pixelate", amount=10)]))
    assert rgb_at(pixelated, (0, 0)) == rgb_at(pixelated, (9, 9))
    blurred = ImageStat.Stat(decoded(transform(data, [task("blur", amount=4)])).convert("L"))
    assert blurred.stddev[0] < ImageStat.Stat(source.convert("L")).stddev[0]


@pytest.mark.parametrize("name", ["enhance", "redeye", "upscale"])
def test_tasks_that_need_a_hosted_model_are_refused_by_name(name: str) -> None:
    with pytest.raises(UnsupportedTask, match=f"task '{name}' is not available in the embedded service"):
        transform(encode(noisy()), [task(name)])


def test_filter_ranges_are_checked() -> None:
    data = encode(noisy())
    for bad in (
        task("blur", amount=21),
        task("sharpen", amount=-1),
        task("pixelate", amount=1),
        task("blackwhite", threshold=101),
        task("sepia", tone=101),
        task("modulate", hue=360),
        task("modulate", brightness=10001),
        task("border", width=1001),
        task("rounded_corners", radius=0),
    ):
        param = next(iter(bad.params))
        with pytest.raises(UnsupportedTask, match=f"{bad.name}.*'{param}'"):
            transform(data, [bad])


# Output


@pytest.mark.parametrize(
    ("fmt", "mimetype", "magic"),
    [
        ("png", "image/png", b"\x89PNG"),
        ("webp", "image/webp", b"RIFF"),
        ("gif", "image/gif", b"GIF8"),
        ("jpg", "image/jpeg", b"\xff\xd8\xff"),
        ("pjpg", "image/jpeg", b"\xff\xd8\xff"),
    ],
)
def test_output_format_changes_mimetype_and_bytes(fmt: str, mimetype: str, magic: bytes) -> None:
    rendered = transform(encode(noisy((120, 80)), "PNG"), [task("output", format=fmt)])
    assert rendered.mimetype == mimetype
    assert rendered.data.startswith(magic)
    assert sniff_mimetype(rendered.data) == mimetype
    assert decoded(rendered).size == (120, 80)


def test_pjpg_and_compress_are_progressive() -> None:
    data = encode(noisy())
    assert "progressive" not in decoded(transform(data, [])).info
    assert decoded(transform(data, [task("output", format="pjpg")])).info.get("progressive")
    assert decoded(transform(data, [task("compress")])).info.get("progressive")


def test_unsupported_output_format() -> None:
    with pytest.raises(UnsupportedTask, match="output format 'bogus' is not supported for images"):
        transform(encode(noisy()), [task("output", format="bogus")])
    with pytest.raises(
        UnsupportedTask, match="output format 'docx' is not available in the embedded service"
    ):
        transform(encode(noisy()), [task("output", format="docx")])


def test_an_image_can_be_written_as_a_one_page_pdf() -> None:
    rendered = transform(encode(noisy((60, 40))), [task("output", format="pdf")])
    assert rendered.mimetype == "application/pdf" and rendered.data.startswith(b"%PDF-")


def test_input_format_is_kept_without_output_task() -> None:
    source = noisy((60, 40))
    assert transform(encode(source), []).mimetype == "image/jpeg"
    assert transform(encode(source, "PNG"), []).mimetype == "image/png"
    assert transform(encode(source, "WEBP"), []).mimetype == "image/webp"
    assert transform(encode(source, "GIF"), []).mimetype == "image/gif"


def test_quality_lowers_size() -> None:
    data = encode(noisy((400, 300)))
    low = transform(data, [task("quality", value=20)])
    high = transform(data, [task("quality", value=95)])
    default = transform(data, [])
    assert len(low.data) < len(default.data) < len(high.data)
    via_output = transform(data, [task("output", format="jpg", quality=20)])
    assert len(via_output.data) == len(low.data)


def test_later_quality_overrides_earlier() -> None:
    data = encode(noisy((400, 300)))
    later = transform(data, [task("quality", value=95), task("output", quality=20)])
    assert len(later.data) == len(transform(data, [task("quality", value=20)]).data)


def test_quality_input_reuses_the_source_tables() -> None:
    data = encode(noisy((300, 200)), quality=30)
    rendered = transform(data, [task("output", quality="input")])
    assert decoded(rendered).quantization == Image.open(io.BytesIO(data)).quantization


def test_quality_range_is_checked() -> None:
    with pytest.raises(UnsupportedTask, match="quality.*'value'"):
        validate_tasks([task("quality", value=0)])
    with pytest.raises(UnsupportedTask, match="output.*'quality'"):
        validate_tasks([task("output", quality=101)])


def test_compress_produces_a_valid_smaller_or_equal_file() -> None:
    data = encode(noisy((300, 200)))
    plain = transform(data, [])
    compressed = transform(data, [task("compress")])
    assert len(compressed.data) <= len(plain.data)
    assert decoded(compressed).size == (300, 200)


def test_transparency_flattened_onto_background_for_explicit_jpeg() -> None:
    rendered = transform(
        encode(noisy((300, 300))),
        [task("circle"), task("output", format="jpg", background="00ff00")],
    )
    assert rendered.mimetype == "image/jpeg"
    assert near(rgb_at(decoded(rendered), (2, 2)), GREEN)


# Metadata and orientation


def exif_with_orientation(orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCamera"
    return exif.tobytes()


def test_exif_orientation_is_applied_first() -> None:
    data = encode(with_marker(), exif=exif_with_orientation(6))
    assert probe(data) == ImageInfo("image/jpeg", "jpeg", 800, 1200)
    rendered = transform(data, [])
    assert (rendered.width, rendered.height) == (800, 1200)
    image = decoded(rendered)
    # Orientation 6 displays the stored image turned 90° clockwise.
    assert near(rgb_at(image, (790, 10)), RED)
    resized = transform(data, [task("resize", width=400)])
    assert (resized.width, resized.height) == (400, 600)


def test_exif_is_stripped_unless_compress_keeps_it() -> None:
    data = encode(noisy((200, 100)), exif=exif_with_orientation(6))
    assert "exif" not in decoded(transform(data, [])).info
    kept = decoded(transform(data, [task("compress", metadata=True)])).getexif()
    assert kept.get(0x010F) == "TestCamera"
    assert kept.get(0x0112) in (None, 1)


def test_icc_profile_kept_unless_metadata_is_stripped() -> None:
    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = encode(noisy((100, 100)), icc_profile=profile)
    assert decoded(transform(data, [])).info.get("icc_profile") == profile
    assert "icc_profile" not in decoded(transform(data, [task("no_metadata")])).info
    stripped = transform(data, [task("output", format="png", strip=True)])
    assert "icc_profile" not in decoded(stripped).info


# Input modes


def test_cmyk_jpeg_becomes_rgb() -> None:
    cmyk = Image.new("CMYK", (100, 80), (0, 255, 255, 0))
    rendered = transform(encode(cmyk), [task("resize", width=50)])
    image = decoded(rendered)
    assert image.mode == "RGB"
    assert image.size == (50, 40)
    assert near(rgb_at(image, (25, 20)), RED)


def test_sixteen_bit_png_is_scaled_not_clipped() -> None:
    image = Image.new("I;16", (64, 32))
    for x in range(64):
        for y in range(32):
            image.putpixel((x, y), x * 1024)
    rendered = transform(encode(image, "PNG"), [])
    result = decoded(rendered).convert("L")
    assert result.getpixel((0, 0)) == 0
    assert 100 < result.getpixel((32, 0)) < 156
    assert result.getpixel((63, 0)) > 240


def test_palette_png_with_transparency_keeps_it() -> None:
    rgba = Image.new("RGBA", (40, 40), (255, 0, 0, 0))
    rgba.paste((0, 0, 255, 255), (10, 10, 30, 30))
    palette = rgba.convert("P")
    rendered = transform(encode(palette, "PNG"), [task("flip")])
    image = decoded(rendered).convert("RGBA")
    assert image.getpixel((0, 0))[3] == 0
    assert image.getpixel((20, 20)) == (0, 0, 255, 255)


@pytest.mark.parametrize(("fmt", "mimetype"), [("BMP", "image/bmp"), ("TIFF", "image/tiff")])
def test_other_inputs_keep_their_format(fmt: str, mimetype: str) -> None:
    rendered = transform(encode(noisy((40, 20)), fmt), [task("resize", width=20)])
    assert (rendered.mimetype, rendered.width, rendered.height) == (mimetype, 20, 10)


def test_avif_input_when_the_decoder_is_available() -> None:
    try:
        data = encode(noisy((40, 20)), "AVIF")
    except (KeyError, OSError):
        pytest.skip("this Pillow cannot write AVIF")
    assert sniff_mimetype(data) == "image/avif"
    assert probe(data) == ImageInfo("image/avif", "avif", 40, 20)
    assert transform(data, [task("flip")]).mimetype == "image/avif"


def test_grey_with_alpha_input() -> None:
    image = Image.new("LA", (30, 30), (128, 255))
    image.putpixel((0, 0), (0, 0))
    rendered = transform(encode(image, "PNG"), [])
    assert decoded(rendered).convert("RGBA").getpixel((0, 0))[3] == 0


def animated_gif(frames: int) -> bytes:
    colours = [(40 * index, 0, 255 - 40 * index) for index in range(frames)]
    images = [Image.new("RGB", (40, 30), colour) for colour in colours]
    return encode(images[0], "GIF", save_all=True, append_images=images[1:], duration=50)


def test_animated_gif_uses_the_first_frame() -> None:
    rendered = transform(animated_gif(5), [task("resize", width=20)])
    assert rendered.mimetype == "image/gif"
    assert (rendered.width, rendered.height) == (20, 15)
    assert near(rgb_at(decoded(rendered), (10, 7)), BLUE)


def test_frame_limit_is_enforced() -> None:
    with pytest.raises(ImageTooLarge, match="frames"):
        transform(animated_gif(5), [], Limits(max_frames=4))
    with pytest.raises(ImageTooLarge, match="frames"):
        probe(animated_gif(5), Limits(max_frames=4))


# Limits


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose IHDR claims ``width`` × ``height`` pixels."""
    data = bytearray(encode(Image.new("RGB", (4, 4), RED), "PNG"))
    ihdr_start = 8 + 4  # signature, then the chunk length
    assert data[ihdr_start : ihdr_start + 4] == b"IHDR"
    body = bytearray(data[ihdr_start : ihdr_start + 4 + 13])
    body[4:12] = struct.pack(">II", width, height)
    data[ihdr_start : ihdr_start + 17] = body
    data[ihdr_start + 17 : ihdr_start + 21] = struct.pack(">I", zlib.crc32(bytes(body)))
    return bytes(data)


def test_pixel_cap_is_checked_from_the_header_before_decoding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_load(self: ImageFile.ImageFile) -> object:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_load)
    bomb = png_declaring(50_000, 50_000)
    with pytest.raises(ImageTooLarge) as raised:
        transform(bomb, [task("resize", width=100)])
    assert raised.value.status in (400, 413)
    with pytest.raises(ImageTooLarge):
        probe(bomb)


def test_pixel_cap_follows_limits() -> None:
    data = png_declaring(2000, 2000)
    with pytest.raises(ImageTooLarge, match="pixels"):
        probe(data, Limits(max_pixels=1_000_000))
    assert probe(data).width == 2000


def test_upscaling_past_the_cap_is_refused() -> None:
    data = encode(Image.new("RGB", (10, 1000), RED), "PNG")
    with pytest.raises(ImageTooLarge):
        transform(data, [task("resize", width=5000)], Limits(max_pixels=10_000_000))


# Bad input


def test_truncated_jpeg_is_not_an_image() -> None:
    data = encode(noisy((400, 300)))
    with pytest.raises(NotAnImage, match="corrupt or truncated"):
        transform(data[: len(data) // 2], [])


def test_header_only_garbage_is_not_an_image() -> None:
    with pytest.raises(NotAnImage):
        transform(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, [])


def test_text_is_not_an_image() -> None:
    with pytest.raises(NotAnImage, match=r"detected: text/plain"):
        transform(b"hello, this is just some text\n", [])
    with pytest.raises(NotAnImage, match="text/plain"):
        probe(b"hello")


def test_svg_is_never_rasterised() -> None:
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
    with pytest.raises(NotAnImage, match="SVG images are not processed"):
        transform(svg, [])


def test_errors_carry_a_status() -> None:
    assert issubclass(UnsupportedTask, ImagingError) and UnsupportedTask("x").status == 400
    assert NotAnImage("x").status == 400
    assert ImageTooLarge("x").status in (400, 413)


def test_results_and_errors_cross_a_process_boundary() -> None:
    rendered = transform(encode(noisy((30, 20))), [task("flip")])
    assert pickle.loads(pickle.dumps(rendered)) == rendered
    error = pickle.loads(pickle.dumps(ImageTooLarge("too big")))
    assert isinstance(error, ImageTooLarge)
    assert (str(error), error.status) == ("too big", ImageTooLarge.status)
    assert pickle.loads(pickle.dumps(transform)) is transform


# Task checking


def test_unknown_task_is_named() -> None:
    with pytest.raises(UnsupportedTask, match="frobnicate"):
        validate_tasks([task("frobnicate")])
    with pytest.raises(UnsupportedTask, match="frobnicate"):
        transform(encode(noisy()), [task("frobnicate")])


def test_unknown_parameter_is_named() -> None:
    with pytest.raises(UnsupportedTask, match="resize.*'colour'"):
        validate_tasks([task("resize", width=10, colour="red")])
    with pytest.raises(UnsupportedTask, match="flip.*'x'"):
        validate_tasks([task("flip", x=1)])


def test_bad_parameter_types_are_refused() -> None:
    with pytest.raises(UnsupportedTask, match="'width'"):
        validate_tasks([task("resize", width="wide")])
    with pytest.raises(UnsupportedTask, match="'background'"):
        validate_tasks([task("rotate", deg=10, background="notacolour")])
    with pytest.raises(UnsupportedTask, match="'metadata'"):
        validate_tasks([task("compress", metadata="maybe")])


def test_service_tasks() -> None:
    data = encode(noisy((100, 80)))
    service_only = [task("security", policy="p", signature="s"), task("cache", expiry=60)]
    rendered = transform(data, service_only)
    assert (rendered.width, rendered.height) == (100, 80)
    validate_tasks([task("store", location="s3"), task("resize", width=10)])
    with pytest.raises(UnsupportedTask, match="store"):
        transform(data, [task("store")])
    assert IMAGE_TASKS.isdisjoint(NON_IMAGE_TASKS)
    assert {"resize", "crop", "rotate", "output", "circle"} <= IMAGE_TASKS


# Sniffing


def _iso_bmff(major: bytes, *compatible: bytes) -> bytes:
    body = major + b"\x00\x00\x00\x00" + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00" * 32


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: encode(noisy((8, 8)), "JPEG"), "image/jpeg"),
        (lambda: encode(noisy((8, 8)), "PNG"), "image/png"),
        (lambda: encode(noisy((8, 8)), "GIF"), "image/gif"),
        (lambda: encode(noisy((8, 8)), "WEBP"), "image/webp"),
        (lambda: encode(noisy((8, 8)), "BMP"), "image/bmp"),
        (lambda: encode(noisy((8, 8)), "TIFF"), "image/tiff"),
        (lambda: _iso_bmff(b"heic", b"mif1", b"heic"), "image/heic"),
        (lambda: _iso_bmff(b"mif1", b"mif1", b"avif"), "image/avif"),
        (lambda: _iso_bmff(b"avif", b"mif1"), "image/avif"),
        (lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "image/svg+xml"),
        (lambda: b"<?xml version='1.0'?>\n<!-- logo -->\n<SVG viewBox='0 0 9'/>", "image/svg+xml"),
        (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf"),
        (_zip, "application/zip"),
        (lambda: b"<!DOCTYPE html><html><body><svg></svg></body></html>", "text/html"),
        (lambda: b"  <html><head><title>x</title></head></html>", "text/html"),
        (lambda: b"\xef\xbb\xbf<div>a fragment</div>", "text/html"),
        (lambda: b"notes mentioning <script>alert(1)</script> inline", "text/html"),
        (lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script/></svg>", "image/svg+xml"),
        (lambda: "\ufeff<svg/>".encode("utf-16"), "image/svg+xml"),
        (lambda: "plain words, caf\u00e9\n".encode(), "text/plain"),
        (lambda: b"BMW is a car maker, not a bitmap\n", "text/plain"),
        (lambda: bytes(range(256)) * 4, "application/octet-stream"),
        (lambda: b"", "application/octet-stream"),
        (lambda: _iso_bmff(b"isom", b"mp41"), "application/octet-stream"),
    ],
)
def test_sniff_mimetype(make: Callable[[], bytes], expected: str) -> None:
    assert sniff_mimetype(make()) == expected


def test_sniffing_ignores_names_and_reads_content() -> None:
    png = encode(noisy((8, 8)), "PNG")
    assert sniff_mimetype(png + b"trailing junk") == "image/png"
    assert sniff_mimetype(b"GIF89a" + b"\x00" * 10) == "image/gif"


# Probe


@pytest.mark.parametrize(
    ("fmt", "mimetype", "short"),
    [("JPEG", "image/jpeg", "jpeg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")],
)
def test_probe_reads_the_header(fmt: str, mimetype: str, short: str) -> None:
    info = probe(encode(noisy((321, 123)), fmt))
    assert info == ImageInfo(mimetype=mimetype, format=short, width=321, height=123)


def test_rendered_is_a_plain_value() -> None:
    rendered = transform(encode(noisy((30, 20))), [task("resize", width=15)])
    assert isinstance(rendered.data, bytes)
    assert (rendered.mimetype, rendered.width, rendered.height) == ("image/jpeg", 15, 10)
