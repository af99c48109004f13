"""The crop dialog: frame a chosen photo in the slot's shape before it is sent.

The frame is ``react-easy-crop`` (:mod:`dashboard.components.easy_crop`) in a Radix dialog,
which keeps focus inside and lets Esc cancel. Position, zoom and rotation live in the
browser; the chosen rectangle goes with the upload as the ``framing`` argument, read from
``dashboard/components/photo_picker.js`` at the moment the person saves. Keys: arrows pan (the frame has
focus first), ``+``/``-`` zoom, Enter saves, Esc cancels; focus then returns to the slot.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from reflex.experimental.client_state import ClientStateVar
from reflex.vars.base import Var, VarData
from reflex_base.event import EventChain, parse_args_spec
from reflex_base.vars.function import FunctionVar
from reflex_components_core.core.upload import _on_drop_spec as DROP_SPEC

from dashboard.components.easy_crop import Cropper
from dashboard.components.photo_controls import fresh_upload_id
from dashboard.photo_framing import SLOT_OUTPUTS
from dashboard.settings import get_settings
from dashboard.state import AvatarState, CoverState
from dashboard.state.crop import CropState

MIN_ZOOM, MAX_ZOOM, ZOOM_STEP = 1.0, 4.0, 0.1
SAVE_BUTTON = (
    "rounded-md bg-indigo-600 px-4 py-2 text-sm font-semibold text-white hover:bg-indigo-700 "
    "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
)

crop_position = ClientStateVar.create("crop_position", {"x": 0.0, "y": 0.0})
crop_zoom = ClientStateVar.create("crop_zoom", 1.0)
crop_rotation = ClientStateVar.create("crop_rotation", 0)


def _js(expression: str, *vars_used: Any) -> Var:
    """A JavaScript function run by an event trigger in the browser, using client state vars (their hooks come along)."""
    return Var(
        _js_expr=expression,
        _var_data=VarData.merge(*(v._get_all_var_data() for v in vars_used)),
    ).to(FunctionVar, EventChain)


@dataclasses.dataclass(frozen=True)
class PickedUpload(rx.upload_files):
    """An upload of the photo kept by ``photoPicker`` for a slot (not a dropzone's file list)."""

    slot: str = ""

    def as_event_spec(self, handler: Any) -> Any:
        """The usual upload event, with the picked file as its files."""
        spec = super().as_event_spec(handler)
        picked: Var = Var(_js_expr=f"window.photoPicker.files({self.slot!r})")
        args = tuple(
            (name, picked if name._js_expr in ("files", "upload_files") else value)
            for name, value in spec.args
        )
        # The handler's own name for its files argument is the one after "files".
        return dataclasses.replace(spec, args=args)


def _pick_of(slot: str) -> Var:
    """The number of the photo the browser holds for ``slot`` (it grows with each choice)."""
    return Var(_js_expr=f"window.photoPicker.pickOf({slot!r})")


def _progress_of(state: Any, slot: str) -> Any:
    """The slot's upload progress, told with the pick it belongs to (late progress is ignored)."""
    return lambda progress: state.on_progress(progress, _pick_of(slot))


def _on_open() -> Var:
    """A new photo starts centred, unzoomed and unturned, with the frame focused (arrows pan)."""
    set_position, set_zoom, set_rotation = (v.set_value() for v in (crop_position, crop_zoom, crop_rotation))
    return _js(
        "(event) => { event.preventDefault();"
        f" ({set_position!s})({{x: 0, y: 0}}); ({set_zoom!s})(1); ({set_rotation!s})(0);"
        " window.photoPicker.turned(0);"
        " setTimeout(() => { const area = document.querySelector('#crop-frame [tabindex]');"
        " if (area) area.focus(); }, 0); }",
        set_position,
        set_zoom,
        set_rotation,
    )


def confirm_button(state: Any, slot: str) -> rx.Component:
    """Save: close the dialog, show the framed part in the slot at once, send the photo with its frame."""
    output = SLOT_OUTPUTS[slot]
    return rx.el.button(
        "Save photo",
        id="crop-confirm",
        type="button",
        on_click=[
            CropState.close,
            rx.call_function(
                Var(
                    _js_expr=f"() => window.photoPicker.framedPreview({slot!r}, {output.width}, {output.height})"
                ),
                callback=state.show_local,
            ),
            state.handle_upload(
                PickedUpload(
                    upload_id=fresh_upload_id(f"{slot}-upload"),
                    on_upload_progress=_progress_of(state, slot),
                    slot=slot,
                ),
                Var(_js_expr=f"window.photoPicker.framing({slot!r})"),
                _pick_of(slot),
            ),
        ],
        class_name=SAVE_BUTTON,
    )


def send_to_frame_button(state: Any, slot: str) -> rx.Component:
    """Sends a picked photo this browser cannot show (HEIC in Chromium, or not an image at all) to
    be checked and stored first; the dialog then frames the server's JPEG of it."""
    return rx.el.button(
        id=f"{slot}-send-to-frame",
        type="button",
        tab_index=-1,
        aria_hidden="true",
        on_click=CropState.upload_to_frame(
            PickedUpload(
                upload_id=fresh_upload_id(f"{slot}-upload"),
                on_upload_progress=_progress_of(state, slot),
                slot=slot,
            ),
            slot,
        ),
        class_name="hidden",
    )


def save_pending_button(slot: str) -> rx.Component:
    """Save the frame of a photo already stored: the slot shows the framed part drawn from the
    dialog's image at once, and the server cuts it."""
    output = SLOT_OUTPUTS[slot]
    return rx.el.button(
        "Save photo",
        id="crop-confirm",
        type="button",
        on_click=rx.call_function(
            Var(_js_expr=f"() => window.photoPicker.shownPreview({output.width}, {output.height})"),
            callback=CropState.save_pending,
        ),
        class_name=SAVE_BUTTON,
    )


def _keys() -> Var:
    """+/- zoom, Enter saves (unless a button has focus: it does its own job)."""
    zoom, set_zoom = crop_zoom.value, crop_zoom.set_value()
    return _js(
        "(event) => {"
        " const key = event.key;"
        " if (key === '+' || key === '=') {"
        f"  event.preventDefault(); ({set_zoom!s})(Math.min({MAX_ZOOM}, ({zoom!s}) + {ZOOM_STEP}));"
        " } else if (key === '-' || key === '_') {"
        f"  event.preventDefault(); ({set_zoom!s})(Math.max({MIN_ZOOM}, ({zoom!s}) - {ZOOM_STEP}));"
        " } else if (key === 'Enter' && !(event.target instanceof HTMLButtonElement)) {"
        "  event.preventDefault(); const save = document.getElementById('crop-confirm'); if (save) save.click();"
        " } }",
        zoom,
        set_zoom,
    )


def _frame() -> rx.Component:
    rotation = crop_rotation.value
    return rx.el.div(
        Cropper.create(
            image=CropState.src,
            crop=crop_position.value,
            zoom=crop_zoom.value,
            rotation=rotation,
            aspect=rx.cond(CropState.is_cover, 3.0, 1.0),
            crop_shape=rx.cond(CropState.is_cover, "rect", "round"),
            show_grid=False,
            min_zoom=MIN_ZOOM,
            max_zoom=MAX_ZOOM,
            keyboard_step=12,
            on_crop_change=crop_position.set_value(),
            on_zoom_change=crop_zoom.set_value(),
            on_crop_complete=_js("(area, pixels) => window.photoPicker.framed(pixels)"),
            on_crop_area_change=_js("(area, pixels) => window.photoPicker.framed(pixels)"),
            on_media_loaded=_js("(media) => window.photoPicker.shown(media)"),
            # Read back by the page for the slot's instant preview: CORS when shown from the CDN.
            media_props={"alt": "The chosen photo", "crossOrigin": "anonymous"},
        ),
        id="crop-frame",
        class_name="relative h-64 w-full overflow-hidden rounded-lg bg-slate-900 sm:h-80",
    )


def _zoom_slider() -> rx.Component:
    set_zoom = crop_zoom.set_value()
    return rx.el.label(
        rx.el.span("Zoom", class_name="text-sm font-medium text-slate-700"),
        rx.el.input(
            id="crop-zoom",
            type="range",
            min=MIN_ZOOM,
            max=MAX_ZOOM,
            step=0.01,
            value=crop_zoom.value,
            on_change=_js(f"(event) => ({set_zoom!s})(Number(event.target.value))", set_zoom),
            aria_label="Zoom",
            class_name="w-full accent-indigo-600",
        ),
        class_name="flex flex-1 items-center gap-3",
    )


def _rotate_button() -> rx.Component:
    rotation, set_rotation = crop_rotation.value, crop_rotation.set_value()
    return rx.el.button(
        "Rotate 90°",
        id="crop-rotate",
        type="button",
        on_click=_js(
            f"() => {{ const next = ((({rotation!s}) || 0) + 90) % 360;"
            f" ({set_rotation!s})(next); window.photoPicker.turned(next); }}",
            rotation,
            set_rotation,
        ),
        class_name=(
            "rounded-md bg-white px-3 py-2 text-sm font-medium text-slate-700 ring-1 ring-slate-300 "
            "hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
        ),
    )


def crop_dialog() -> rx.Component:
    """The dialog (``#crop-dialog``), open while ``CropState.is_open``; one for both slots."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.el.div(
                rx.fragment(crop_position, crop_zoom, crop_rotation),
                rx.dialog.title(CropState.title, class_name="text-lg font-semibold text-slate-900"),
                rx.dialog.description(
                    "Drag or use the arrow keys to move the photo; zoom with the slider, the wheel, "
                    "a pinch or + and −. Enter saves, Esc cancels.",
                    class_name="text-sm text-slate-600",
                ),
                _frame(),
                rx.cond(
                    CropState.warning != "",
                    rx.el.p(
                        CropState.warning,
                        id="crop-warning",
                        role="alert",
                        class_name="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-900 ring-1 ring-amber-200",
                    ),
                ),
                rx.el.div(_zoom_slider(), _rotate_button(), class_name="flex flex-wrap items-center gap-3"),
                rx.el.div(
                    rx.el.button(
                        "Cancel",
                        id="crop-cancel",
                        type="button",
                        on_click=CropState.cancel,
                        class_name=(
                            "rounded-md px-4 py-2 text-sm font-medium text-slate-700 hover:bg-slate-100 "
                            "focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                        ),
                    ),
                    rx.cond(
                        CropState.pending,
                        rx.cond(
                            CropState.is_cover,
                            save_pending_button("cover"),
                            save_pending_button("avatar"),
                        ),
                        rx.cond(
                            CropState.is_cover,
                            confirm_button(CoverState, "cover"),
                            confirm_button(AvatarState, "avatar"),
                        ),
                    ),
                    class_name="flex justify-end gap-2",
                ),
                custom_attrs={"onKeyDown": _keys()},
                class_name="flex flex-col gap-4",
            ),
            id="crop-dialog",
            on_open_auto_focus=_on_open(),
            on_close_auto_focus=_js("(event) => { event.preventDefault(); window.photoPicker.focusSlot(); }"),
            class_name="max-w-2xl",
        ),
        rx.el.div(send_to_frame_button(AvatarState, "avatar"), send_to_frame_button(CoverState, "cover")),
        open=CropState.is_open,
        on_open_change=CropState.set_open,
    )


def pick_photo(slot: str) -> Any:
    """The dropzone's ``on_drop``: keep the photo in the browser (shrunk when very large), then frame it."""
    max_side = get_settings().photo_max_side_px
    (files,), _ = parse_args_spec(DROP_SPEC)
    return rx.call_function(
        Var(_js_expr=f"() => window.photoPicker.choose({slot!r}, {files!s}, {max_side})"),
        callback=CropState.open_picked,
    )
