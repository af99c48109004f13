"""``react-easy-crop`` from the npm registry, wrapped for Reflex: the frame of the crop dialog.

Reflex installs the pinned package into the frontend on the next build; the component
injects its own styles. Position, zoom and rotation are controlled props, kept in the
browser (client state), so dragging never waits for the server.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

EASY_CROP = "react-easy-crop@6.2.5"


def _area_spec(area: rx.Var[dict[str, Any]], pixels: rx.Var[dict[str, Any]]) -> tuple[rx.Var, rx.Var]:
    return area, pixels


def _value_spec(value: rx.Var[Any]) -> tuple[rx.Var]:
    return (value,)


class Cropper(rx.Component):
    """The ``Cropper`` (default export): the image under a frame of a fixed aspect, dragged and zoomed."""

    library = EASY_CROP
    tag = "Cropper"
    is_default = True

    image: rx.Var[str]
    crop: rx.Var[dict[str, Any]]
    zoom: rx.Var[float]
    rotation: rx.Var[int]
    aspect: rx.Var[float]
    min_zoom: rx.Var[float]
    max_zoom: rx.Var[float]
    zoom_speed: rx.Var[float]
    crop_shape: rx.Var[str]
    object_fit: rx.Var[str]
    show_grid: rx.Var[bool]
    restrict_position: rx.Var[bool]
    keyboard_step: rx.Var[float]
    zoom_with_scroll: rx.Var[bool]
    media_props: rx.Var[dict[str, Any]]
    crop_area_style: rx.Var[dict[str, Any]]

    on_crop_change: rx.EventHandler[_value_spec]  # type: ignore[type-arg,valid-type]
    on_zoom_change: rx.EventHandler[_value_spec]  # type: ignore[type-arg,valid-type]
    on_rotation_change: rx.EventHandler[_value_spec]  # type: ignore[type-arg,valid-type]
    on_crop_complete: rx.EventHandler[_area_spec]  # type: ignore[type-arg,valid-type]
    on_crop_area_change: rx.EventHandler[_area_spec]  # type: ignore[type-arg,valid-type]
    on_media_loaded: rx.EventHandler[_value_spec]  # type: ignore[type-arg,valid-type]
