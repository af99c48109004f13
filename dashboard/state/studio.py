"""StudioState: what every studio and jobs-console state shares -- the access check.

Each page's ``on_load`` starts with :meth:`StudioState.check_access`, and each handler of
a substate returns early unless :meth:`StudioState._permitted` holds; both ask
:func:`dashboard.studio_access.can_use_studio`, the one place that decides.
"""

from __future__ import annotations

import reflex as rx

from dashboard.studio_access import ANONYMOUS, NOT_ALLOWED_MESSAGE, Viewer, can_use_studio


class StudioState(rx.State):
    """The parent of the studio's and the console's states."""

    allowed: bool = True
    not_allowed_message: str = NOT_ALLOWED_MESSAGE

    async def _viewer(self) -> Viewer:
        """The person using the page (no accounts yet: anonymous)."""
        return ANONYMOUS

    async def _permitted(self) -> bool:
        """Whether this person may use the studio; records the answer for the page."""
        allowed = can_use_studio(await self._viewer())
        if self.allowed != allowed:
            self.allowed = allowed
        return allowed

    def _route_arg(self, default: str = "") -> str:
        """The last segment of the page's path: the id in ``/workflows/[id]`` or ``/jobs/[uuid]``."""
        path = str(self.router.url.path or "").rstrip("/")
        return path.rsplit("/", 1)[-1] if path else default

    @rx.event
    async def check_access(self):
        """Decide whether the page shows its content or the "not allowed" panel."""
        await self._permitted()
