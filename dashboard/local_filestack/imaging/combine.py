"""``animate``: several images as one animated GIF.

``animate=delay:…,loop:…,width:…,height:…,fit:…,align:…,background:…`` decodes every
source (header limits first), fits each frame into one size -- ``width`` × ``height``, or
the first image's size -- with the ``resize`` step's own geometry, and encodes the frames
as one animated GIF with Pillow.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image

from dashboard.filestack_protocol.grammar import Task

from .compositing import flatten
from .decode import decode
from .encode import Rendered
from .errors import ImageTooLarge
from .limits import Limits
from .params import Params
from .steps import Resize
from .tasks import align_param

MAX_FRAME_SIDE = 1800
MAX_DELAY_MS = 10_000
MAX_LOOP = 1000


def animate(sources: Sequence[bytes], task: Task, limits: Limits = Limits()) -> Rendered:
    """An animated GIF with one frame per source, in order (``animate=...``)."""
    params = Params(task, ("delay", "loop", "width", "height", "fit", "align", "background"))
    delay = params.integer("delay", 0, MAX_DELAY_MS, 1000)
    loop = params.integer("loop", 0, MAX_LOOP, 0)
    width = params.optional_integer("width", 1, MAX_FRAME_SIDE)
    height = params.optional_integer("height", 1, MAX_FRAME_SIDE)
    fit = params.choice("fit", ("clip", "scale", "crop"), "clip")
    background = params.color("background", (0, 0, 0, 0))
    align = align_param(params)
    if len(sources) > limits.max_frames:
        raise ImageTooLarge(f"animate: {len(sources)} frames, over the limit of {limits.max_frames:,} frames")
    images = [decode(data, limits).image for data in sources]
    first = images[0]
    box = (width or first.width, height or first.height)
    if box[0] * box[1] * len(images) > limits.max_pixels:
        raise ImageTooLarge(
            f"animate: {len(images)} frames of {box[0]}x{box[1]} exceed {limits.max_pixels:,} pixels"
        )
    frames = [_fit(image, box, fit, align, background) for image in images]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=delay, loop=loop, disposal=2)
    return Rendered(data=out.getvalue(), mimetype="image/gif", width=box[0], height=box[1])


def _fit(
    image: Image.Image, box: tuple[int, int], fit: str, align: object, background: tuple[int, int, int, int]
) -> Image.Image:
    """``image`` resized into ``box`` and centred on a ``box``-sized canvas of ``background``."""
    resized = Resize(width=box[0], height=box[1], fit=fit, align=align).apply(image)  # type: ignore[arg-type]
    canvas = Image.new("RGBA", box, background)
    canvas.alpha_composite(
        resized.convert("RGBA"), ((box[0] - resized.width) // 2, (box[1] - resized.height) // 2)
    )
    return canvas if background[3] < 255 else flatten(canvas, background)
