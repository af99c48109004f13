"""The profile's text fields: their limits, how a typed value is cleaned and counted, and save conflicts.

Pure logic, no I/O. The page's live counter and the server's check both call
:func:`problem` on the same cleaned text, so the page never accepts what the server
refuses, nor the other way round.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class TextField(enum.StrEnum):
    """A text field of a profile a person edits in place."""

    NAME = "name"
    HEADLINE = "headline"
    BIO = "bio"

    @property
    def label(self) -> str:
        """The field's name in a sentence ("the name")."""
        return _LABELS[self]

    @property
    def limit(self) -> int:
        """The most characters the field may have (this many is allowed, one more is not)."""
        return LIMITS[self]

    @property
    def multiline(self) -> bool:
        """Only the bio keeps line breaks."""
        return self is TextField.BIO


#: The most characters each field may have, counted by :func:`length` after :func:`clean`.
LIMITS: dict[TextField, int] = {TextField.NAME: 80, TextField.HEADLINE: 120, TextField.BIO: 600}
_LABELS = {TextField.NAME: "name", TextField.HEADLINE: "headline", TextField.BIO: "bio"}

_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean(field: TextField, raw: object) -> str:
    """What is saved for ``raw``: trimmed; one line for the name and headline, at most one blank line in a bio."""
    text = str(raw if raw is not None else "").replace("\r\n", "\n").replace("\r", "\n")
    if not field.multiline:
        return _SPACES.sub(" ", text.replace("\n", " ")).strip()
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def length(text: str) -> int:
    """How many characters ``text`` has, as a person counts them (code points, not UTF-16 units)."""
    return len(text)


def problem(field: TextField, raw: object) -> str:
    """Why ``raw`` cannot be saved in ``field`` ("" when it can)."""
    text = clean(field, raw)
    if field is TextField.NAME and not text:
        return "The name cannot be empty."
    over = length(text) - field.limit
    if over > 0:
        noun = "character" if over == 1 else "characters"
        return f"The {field.label} can have at most {field.limit} characters; remove {over} {noun}."
    return ""


@dataclass(frozen=True)
class Counter:
    """The live counter under an editor."""

    used: int
    limit: int

    @property
    def over(self) -> bool:
        """More characters than allowed."""
        return self.used > self.limit

    @property
    def text(self) -> str:
        """What the counter says: ``12 / 80``, or how many are too many."""
        if self.over:
            extra = self.used - self.limit
            return f"{self.used} / {self.limit}: {extra} too many"
        return f"{self.used} / {self.limit}"


def counter(field: TextField, raw: object) -> Counter:
    """The counter for what is typed in ``field`` (counted as it would be saved)."""
    return Counter(used=length(clean(field, raw)), limit=field.limit)


class SaveOutcome(enum.StrEnum):
    """What saving one field from one window comes to."""

    #: Nobody changed the field since the window started editing it: the new text is saved.
    SAVE = "save"
    #: The field already holds the new text (saved elsewhere, or unchanged): nothing to write.
    SAME = "same"
    #: Someone changed the field elsewhere since the window started editing: ask which to keep.
    CONFLICT = "conflict"


def outcome(base: str, current: str, new: str) -> SaveOutcome:
    """Compare the value an edit started from (``base``), the stored one (``current``) and the new text.

    Each field is compared on its own, so changes to different fields in two windows merge.
    """
    if current == new:
        return SaveOutcome.SAME
    if current == base:
        return SaveOutcome.SAVE
    return SaveOutcome.CONFLICT
