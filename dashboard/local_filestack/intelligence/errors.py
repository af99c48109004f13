"""Errors of the image-intelligence actions.

Every message is meant for the person who runs the workflow: it says what
could not be read or which model is missing, never a stack trace.
"""

from __future__ import annotations


class IntelligenceError(Exception):
    """Base class: an image the analysis refuses, or a model it cannot run."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[type[IntelligenceError], tuple[str]]:
        """Pickle with the message only, so errors cross a process pool intact."""
        return (type(self), (self.message,))


class UnreadableImage(IntelligenceError):
    """The bytes are not an image that can be analysed (or exceed the limits)."""


class ModelUnavailable(IntelligenceError):
    """A model's package is not installed or its bundled weights cannot be read."""
