"""Taking a photo with the device's camera (getUserMedia): preview, take, retake, use.

The used picture goes to the slot's file input like a chosen file, so it is framed in the
crop dialog next. The "Take a photo" buttons show only where the browser has a camera API
(``dashboard/components/photo_picker.js`` marks the page).
"""

from __future__ import annotations

import reflex as rx
from reflex.vars.base import Var
from reflex_base.event import EventChain
from reflex_base.vars.function import FunctionVar

from dashboard.state.camera import CameraState

BUTTON = "rounded-md px-4 py-2 text-sm font-medium focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"


def _js(expression: str) -> Var:
    return Var(_js_expr=expression).to(FunctionVar, EventChain)


def camera_button(slot: str, label: str) -> rx.Component:
    """``#avatar-camera`` / ``#cover-camera``: open the camera for the slot (hidden without a camera API)."""
    return rx.el.button(
        "Take a photo",
        id=f"{slot}-camera",
        type="button",
        aria_label=f"Take a photo for the {label.lower()}",
        on_click=CameraState.open_for(slot),
        class_name=(
            "hidden self-start rounded-md bg-white px-3 py-1.5 text-xs font-semibold text-slate-700 "
            "ring-1 ring-slate-300 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 "
            "focus-visible:ring-indigo-500 [[data-camera=yes]_&]:inline-flex"
        ),
    )


def camera_dialog() -> rx.Component:
    """``#camera-dialog``: the live preview, then the still with Retake and Use photo."""
    return rx.dialog.root(
        rx.dialog.content(
            rx.el.div(
                rx.dialog.title("Take a photo", class_name="text-lg font-semibold text-slate-900"),
                rx.dialog.description(
                    "Take the photo, then use it or take it again.", class_name="text-sm text-slate-600"
                ),
                rx.el.div(
                    rx.el.video(
                        id="camera-video",
                        auto_play=True,
                        muted=True,
                        plays_inline=True,
                        class_name="h-full w-full object-contain group-data-[captured=yes]:hidden",
                    ),
                    rx.el.canvas(
                        id="camera-still",
                        aria_label="The photo taken",
                        role="img",
                        class_name="hidden h-full w-full object-contain group-data-[captured=yes]:block",
                    ),
                    class_name="relative h-64 w-full overflow-hidden rounded-lg bg-slate-900 sm:h-80",
                ),
                rx.el.p(id="camera-error", role="alert", class_name="text-sm text-rose-700 empty:hidden"),
                rx.el.div(
                    rx.el.button(
                        "Cancel",
                        id="camera-cancel",
                        type="button",
                        on_click=CameraState.close,
                        class_name=BUTTON + " text-slate-700 hover:bg-slate-100",
                    ),
                    rx.el.button(
                        "Retake",
                        id="camera-retake",
                        type="button",
                        on_click=_js("() => window.photoPicker.retake()"),
                        class_name=BUTTON
                        + " hidden bg-white text-slate-700 ring-1 ring-slate-300 group-data-[captured=yes]:inline-flex",
                    ),
                    rx.el.button(
                        "Take photo",
                        id="camera-capture",
                        type="button",
                        on_click=_js("() => window.photoPicker.capture()"),
                        class_name=BUTTON + " bg-indigo-600 text-white group-data-[captured=yes]:hidden",
                    ),
                    rx.el.button(
                        "Use photo",
                        id="camera-use",
                        type="button",
                        on_click=[_js("() => window.photoPicker.useCamera()"), CameraState.close],
                        class_name=BUTTON
                        + " hidden bg-indigo-600 text-white group-data-[captured=yes]:inline-flex",
                    ),
                    class_name="flex flex-wrap justify-end gap-2",
                ),
                id="camera-dialog",
                custom_attrs={"data-slot": CameraState.slot, "data-captured": "no"},
                class_name="group flex flex-col gap-4",
            ),
            on_open_auto_focus=_js("(event) => { window.photoPicker.startCamera(); }"),
            on_close_auto_focus=_js(
                "(event) => { event.preventDefault(); window.photoPicker.closeCamera(); }"
            ),
            class_name="max-w-2xl",
        ),
        open=CameraState.is_open,
        on_open_change=CameraState.set_open,
    )
