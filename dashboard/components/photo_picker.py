"""The photo picker's browser side (``photo_picker.js``), shipped inside the page's own module.

As module code it runs before the page can be used, so a photo chosen at once never finds
the picker missing (a ``<script>`` tag loads later, on its own).
"""

from __future__ import annotations

from pathlib import Path

import reflex as rx

PICKER_JS = Path(__file__).with_name("photo_picker.js")


class PhotoPickerCode(rx.Fragment):
    """Renders nothing; puts ``window.photoPicker`` in place when the page's module loads."""

    def add_custom_code(self) -> list[str]:
        """The picker's code, at the top level of the page's module."""
        return [PICKER_JS.read_text(encoding="utf-8")]


def photo_picker_code() -> rx.Component:
    """Include once per page that has photo slots."""
    return PhotoPickerCode.create()
