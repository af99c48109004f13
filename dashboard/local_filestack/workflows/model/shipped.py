"""Workflows the service ships with: their stable ids (defined here only) and their definitions.

Each definition is a JSON file of the ``shipped/`` folder in the Workflows API format; its id is
the one this module gives its file name. They are upserted at every start, so a changed file
takes effect on restart. The app's settings take the profile and cover ids from here.

* ``profile_picture.json`` -- "Profile picture": 400x400 face-aligned crop into ``avatars/``;
* ``cover_photo.json`` -- "Cover photo": 1500x500 crop into ``covers/``;
* ``delete_nsfw.json`` -- the documented deleteNSFW example;
* ``all_actions_example.json`` -- every action in one workflow, delete conditioned on sfw;
* ``screened_uploads.json`` -- "Screened uploads": started by every upload stored under
  ``uploads/screened/`` (a trigger with constraints), virus-scanned, an infected file held in
  quarantine, a clean one cropped; ``sfw`` and a second crop run on that crop (piping), and a
  flagged upload is held in quarantine instead of deleted.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

SHIPPED_DIR = Path(__file__).with_name("shipped")

PROFILE_PICTURE_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"
COVER_PHOTO_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b02"
DELETE_NSFW_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b03"
ALL_ACTIONS_EXAMPLE_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b04"
SCREENED_UPLOADS_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b05"

#: File name (without ``.json``) -> the workflow's id.
SHIPPED_IDS: dict[str, str] = {
    "profile_picture": PROFILE_PICTURE_ID,
    "cover_photo": COVER_PHOTO_ID,
    "delete_nsfw": DELETE_NSFW_ID,
    "all_actions_example": ALL_ACTIONS_EXAMPLE_ID,
    "screened_uploads": SCREENED_UPLOADS_ID,
}


class ShippedWorkflow(BaseModel):
    """A shipped definition and its stable id."""

    model_config = ConfigDict(frozen=True)

    id: UUID
    definition: dict[str, Any]


def load_shipped(folder: Path = SHIPPED_DIR) -> list[ShippedWorkflow]:
    """Every shipped definition, sorted by file name; a file without an id here is an error."""
    shipped = []
    for path in sorted(folder.glob("*.json")):
        if path.stem not in SHIPPED_IDS:
            raise LookupError(f"shipped workflow {path.name} has no id in SHIPPED_IDS")
        definition = json.loads(path.read_text(encoding="utf-8"))
        shipped.append(ShippedWorkflow(id=UUID(SHIPPED_IDS[path.stem]), definition=definition))
    return shipped
