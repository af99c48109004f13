"""Workflows the service ships with, kept as JSON files in the ``shipped/`` folder.

Each file is a definition in the Workflows API format plus a stable ``id``;
they are upserted at every start, so a changed file takes effect on restart.

* ``profile_picture.json`` -- "Profile picture": 400x400 face-aligned crop into ``avatars/``;
* ``cover_photo.json`` -- "Cover photo": 1500x500 crop into ``covers/``;
* ``delete_nsfw.json`` -- the documented deleteNSFW example.
* ``all_actions_example.json`` -- every action in one workflow, delete conditioned on sfw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict

from dashboard.local_filestack.workflows.engine.catalog import WorkflowCatalog
from dashboard.local_filestack.workflows.model.jobs import WorkflowRecord

SHIPPED_DIR = Path(__file__).with_name("shipped")

PROFILE_PICTURE_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b01"
COVER_PHOTO_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b02"
DELETE_NSFW_ID = "5f1a7c9e-0b1d-4c61-9a57-2d3f4e5a6b03"


class ShippedWorkflow(BaseModel):
    """A shipped definition: a stable id and the rest of the definition as given."""

    model_config = ConfigDict(extra="allow", frozen=True)

    id: UUID

    def definition(self) -> dict[str, Any]:
        """The definition without its id."""
        return self.model_dump(exclude={"id"})


def load_shipped(folder: Path = SHIPPED_DIR) -> list[ShippedWorkflow]:
    """Every ``*.json`` definition in ``folder``, sorted by file name."""
    return [
        ShippedWorkflow.model_validate(json.loads(path.read_text(encoding="utf-8")))
        for path in sorted(folder.glob("*.json"))
    ]


async def install_shipped(catalog: WorkflowCatalog, folder: Path = SHIPPED_DIR) -> list[WorkflowRecord]:
    """Upsert the shipped workflows; raises if one of them is invalid."""
    return [await catalog.upsert(item.definition(), item.id) for item in load_shipped(folder)]
