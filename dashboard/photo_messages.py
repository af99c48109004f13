"""What the page says about a photo, in plain words (pure, no I/O).

The browser's reasons for refusing a file, a workflow's failure text and the tasks' ids are
developer words; these functions turn them into sentences a person can act on, naming only
the formats the page really accepts, and decide whether a failure is one that trying again
could fix (a damaged file fails the same way every time: no Retry for it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from dashboard.photo_checks import ACCEPTED_FORMATS, human_size

#: Pillow's format names as people know them.
FORMAT_NAMES: dict[str, str] = {
    "JPEG": "JPEG",
    "PNG": "PNG",
    "WEBP": "WebP",
    "GIF": "GIF",
    "HEIF": "HEIC",
    "AVIF": "AVIF",
}

#: What the tasks of the shipped workflows do, by task id.
TASK_LABELS: dict[str, str] = {
    "avatar": "Crop and resize to 400×400",
    "cover": "Crop and resize to 1500×500",
}


def accepted_formats_text(formats: Iterable[str] | None = None) -> str:
    """``JPEG, PNG, WebP, GIF or HEIC``: the formats the page accepts right now."""
    names = [FORMAT_NAMES.get(fmt, fmt) for fmt in (ACCEPTED_FORMATS if formats is None else formats)]
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " or " + names[-1]


def refusal_message(file: Mapping[str, object], max_bytes: int) -> str:
    """Why the browser refused a file, from its summary ``{"name", "size", "type", "codes"}``."""
    name = str(file.get("name") or "That file")
    listed = file.get("codes")
    codes = {str(code) for code in listed} if isinstance(listed, list | tuple) else set()
    size = file.get("size")
    if "file-too-large" in codes:
        shown = f" is {human_size(int(size))}" if isinstance(size, (int, float)) else " is too large"
        return f"{name}{shown}; the largest photo you can use is {human_size(max_bytes)}."
    if "too-many-files" in codes:
        return "Choose one photo at a time."
    if "file-too-small" in codes:
        return f"{name} is empty."
    return f"{name} is not a photo we can use. Choose a {accepted_formats_text()} image."


class FailureKind(enum.StrEnum):
    """Why a photo's processing failed, as far as trying again is concerned."""

    #: The file itself: damaged, not an image, too many pixels. The same file fails again.
    THE_FILE = "the-file"
    #: The service: not started, timed out, lost. Trying again may work.
    THE_SERVICE = "the-service"


@dataclass(frozen=True)
class Failure:
    """A processing failure as the page states it."""

    kind: FailureKind
    text: str

    def said_in_slot(self, had_photo: bool) -> str:
        """The text in a slot, which says its photo is unchanged when it had one."""
        return f"{self.text} Your previous photo is kept." if had_photo else self.text

    @property
    def retryable(self) -> bool:
        """Whether Retry could help (only for the service's failures)."""
        return self.kind is FailureKind.THE_SERVICE


#: Words in a failure's text that mean the file itself is the problem.
_FILE_PROBLEMS = (
    "not a readable image",
    "corrupt",
    "truncated",
    "cannot identify",
    "not processed",
    "pixels",
    "frames",
    "unsupported",
)


def describe_failure(error: str) -> Failure:
    """The plain sentence and the kind of a workflow's failure text."""
    text = (error or "").lower()
    if any(word in text for word in _FILE_PROBLEMS):
        return Failure(
            FailureKind.THE_FILE,
            "This photo could not be read: the file seems damaged or is not a photo we can use. "
            "Choose another one.",
        )
    if "did not finish" in text or "timed out" in text:
        return Failure(FailureKind.THE_SERVICE, "Processing took too long. Try again.")
    if "could not start" in text:
        return Failure(FailureKind.THE_SERVICE, "Processing could not start. Try again.")
    return Failure(FailureKind.THE_SERVICE, "Processing did not finish. Try again.")


def task_label(task_id: str) -> str:
    """A task's name for people: known tasks by what they do, others with their id made readable."""
    if task_id in TASK_LABELS:
        return TASK_LABELS[task_id]
    words = task_id.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else "Step"
