"""Time per image of each analysis action, first call (model load included) and warm, and peak memory.

Each action runs in a fresh spawned process, as in the engine's worker pool:
the first call pays for importing the packages and loading the model, the
warm figure is the median of the following calls, and the peak is the
process's maximum resident set size at the end. Prints a Markdown table and
writes nothing.

    .venv/bin/python bench/bench_intelligence.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import io
import multiprocessing
import resource
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


@dataclass(frozen=True)
class Case:
    """One measured action on one image."""

    action: str
    image: str
    what: str


CASES: tuple[Case, ...] = (
    Case("sfw", "portrait", "sfw"),
    Case("sfw", "photo", "sfw"),
    Case("ocr", "document", "ocr"),
    Case("ocr", "photo", "ocr"),
    Case("tags", "portrait", "tags"),
    Case("tags", "photo", "tags"),
    Case("copyright", "rights", "copyright"),
    Case("copyright", "photo", "copyright"),
    Case("resize align:faces", "portrait", "align_faces"),
    Case("crop_faces thumb", "photo", "crop_faces"),
)


def _jpeg(image: Any, **options: Any) -> bytes:
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def make_image(name: str) -> tuple[bytes, str]:
    """The bytes of a test image and a description of it."""
    import skimage.data
    from PIL import Image, ImageDraw, ImageFont

    if name == "portrait":
        return _jpeg(Image.fromarray(skimage.data.astronaut())), "astronaut 512×512 JPEG"
    if name == "photo":
        canvas = Image.new("RGB", (2400, 1600), (120, 120, 120))
        canvas.paste(Image.fromarray(skimage.data.chelsea()).resize((1200, 800)), (0, 0))
        canvas.paste(Image.fromarray(skimage.data.astronaut()).resize((800, 800)), (1500, 700))
        return _jpeg(canvas), "cat + portrait 2400×1600 JPEG"
    if name == "document":
        page = Image.new("RGB", (1240, 1754), "white")
        draw = ImageDraw.Draw(page)
        font = ImageFont.load_default(size=28)
        for row in range(24):
            draw.text(
                (80, 80 + row * 64),
                f"Line {row + 1}: quartz lantern invoice {2048 + row}",
                fill="black",
                font=font,
            )
        return _jpeg(page), "A4 page 1240×1754, 24 lines"
    if name == "rights":
        exif = Image.Exif()
        exif[0x8298] = "Copyright 2026 Jane Doe"
        exif[0x013B] = "Jane Doe"
        xmp = (
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description xmlns:xmpRights="http://ns.adobe.com/xap/1.0/rights/" '
            'xmpRights:WebStatement="https://creativecommons.org/licenses/by/4.0/"/></rdf:RDF></x:xmpmeta>'
        )
        image = Image.fromarray(skimage.data.chelsea())
        return _jpeg(image, exif=exif.tobytes(), xmp=xmp.encode()), "cat 451×300 JPEG + EXIF/XMP"
    raise ValueError(name)


def _runner(what: str) -> Callable[[bytes], Any]:
    """The entry point measured for ``what`` (imports happen here, inside the timed first call)."""
    if what == "sfw":
        from dashboard.local_filestack.intelligence import check_sfw

        return check_sfw
    if what == "ocr":
        from dashboard.local_filestack.intelligence import read_text

        return read_text
    if what == "tags":
        from dashboard.local_filestack.intelligence import tag_image

        return tag_image
    if what == "copyright":
        from dashboard.local_filestack.intelligence import find_copyright

        return find_copyright
    from dashboard.filestack_protocol.grammar import parse_task
    from dashboard.local_filestack.imaging import Limits, transform
    from dashboard.local_filestack.intelligence import face_boxes

    chain = {
        "align_faces": "resize=width:400,height:400,fit:crop,align:faces",
        "crop_faces": "crop_faces=mode:thumb,width:200,height:200",
    }[what]
    tasks = [parse_task(chain)]
    return lambda data: transform(data, tasks, Limits(), face_boxes)


def measure(what: str, data: bytes, repeat: int) -> tuple[float, float, float]:
    """First-call seconds, median warm seconds and peak RSS (MiB), in this process."""
    started = time.perf_counter()
    run = _runner(what)
    run(data)
    first = time.perf_counter() - started
    warm: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        run(data)
        warm.append(time.perf_counter() - started)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return first, statistics.median(warm), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="warm calls per action (median reported)")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    images = {name: make_image(name) for name in {case.image for case in CASES}}
    print("| action | image | first call (load + run) | warm (median) | peak RSS |")
    print("| --- | --- | ---: | ---: | ---: |")
    for case in CASES:
        data, description = images[case.image]
        with context.Pool(1) as pool:
            first, warm, peak = pool.apply(measure, (case.what, data, args.repeat))
        print(
            f"| {case.action} | {description} | {_ms(first)} | {_ms(warm)} | {peak:.0f} MiB |",
            flush=True,
        )


def _ms(seconds: float) -> str:
    """Milliseconds, with a decimal below 10 ms."""
    milliseconds = seconds * 1000
    return f"{milliseconds:.1f} ms" if milliseconds < 10 else f"{milliseconds:.0f} ms"


if __name__ == "__main__":
    main()
