"""Errors raised by the imaging pipeline.

Every message is meant for the person who wrote the processing URL or uploaded
the file, so it names the task, the parameter or the detected file type.
"""

from __future__ import annotations


class ImagingError(Exception):
    """Base class: a request the pipeline refuses, with the HTTP status to answer."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __reduce__(self) -> tuple[type[ImagingError], tuple[str], dict[str, object]]:
        """Pickle with the status, so errors cross a process pool intact."""
        return (type(self), (self.message,), {"status": self.status})


class UnsupportedTask(ImagingError):
    """An unknown task name, an unknown parameter or a parameter out of range."""


class NotAnImage(ImagingError):
    """The bytes are not an image this pipeline decodes, or they are corrupt."""


class ImageTooLarge(ImagingError):
    """The image declares more pixels or frames than the limits allow."""

    status = 413
