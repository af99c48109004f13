"""StudioState: what every studio and jobs-console state shares -- who may use them.

``StudioState`` is a child of :class:`~dashboard.state.session.SessionState`: the person is
the account of the browser's session, checked against the database at every event. Each
page's ``on_load`` starts with :meth:`StudioState.check_access` (signed out: to sign-in and
back; signed in without the admin role: the "not allowed" page), and every event handler
of a studio or console state is wrapped in :func:`studio_event`, which refuses -- changes
nothing, logs who asked for what -- unless :func:`dashboard.studio_access.can_use_studio`
says yes. A background handler checks inside its first ``async with self`` block.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import reflex as rx

from dashboard.settings import get_settings
from dashboard.state.session import SessionState
from dashboard.studio_access import NOT_ALLOWED_MESSAGE, Viewer, can_use_studio, viewer_of

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: Set on every handler :func:`studio_event` guards (the tests check that none is missing).
GUARDED = "__studio_guarded__"


def studio_event(handler: F) -> F:
    """Run ``handler`` only for someone who may use the studio; for anyone else do nothing and log it.

    Put it under ``@rx.event``. The handler may be plain, a coroutine or an async generator;
    the guard is a coroutine (or an async generator) either way.
    """
    name = handler.__qualname__
    if inspect.isasyncgenfunction(handler):

        @functools.wraps(handler)
        async def guarded_events(self: StudioState, *args: Any, **kwargs: Any):
            if not await self._permitted(name):
                return
            async for event in handler(self, *args, **kwargs):
                yield event

        guarded: Any = guarded_events
    else:

        @functools.wraps(handler)
        async def guarded_call(self: StudioState, *args: Any, **kwargs: Any) -> Any:
            if not await self._permitted(name):
                return None
            result = handler(self, *args, **kwargs)
            return await result if inspect.isawaitable(result) else result

        guarded = guarded_call
    setattr(guarded, GUARDED, True)
    return guarded  # type: ignore[no-any-return]


class StudioState(SessionState):
    """The parent of the studio's and the console's states."""

    #: Whether this person may use the studio (decided on every event, shown by every page).
    allowed: bool = False
    #: Whether the page's access check has run (nothing is shown before it).
    checked: bool = False
    not_allowed_message: str = NOT_ALLOWED_MESSAGE

    async def _viewer(self) -> Viewer:
        """The person using the page: the session's account and its roles, or anonymous."""
        return viewer_of(await self._account(), get_settings().admins)

    async def _permitted(self, action: str = "") -> bool:
        """Whether this person may use the studio; records the answer for the page and, when
        ``action`` (a handler's name) is refused, logs who asked for it."""
        viewer = await self._viewer()
        allowed = can_use_studio(viewer)
        if self.allowed != allowed:
            self.allowed = allowed
        if not allowed and action:
            who = (
                f"account {viewer.account_id} ({viewer.username})"
                if viewer.signed_in
                else "a signed-out browser"
            )
            log.warning("%s asked for %s in the studio without the admin role; nothing done", who, action)
        return allowed

    def _route_arg(self, default: str = "") -> str:
        """The last segment of the page's path: the id in ``/workflows/[id]`` or ``/jobs/[uuid]``."""
        path = str(self.router.url.path or "").rstrip("/")
        return path.rsplit("/", 1)[-1] if path else default

    @rx.event
    async def check_access(self):
        """``on_load`` of every studio page: signed out, go to sign-in (and come back after);
        otherwise show the page or the "not allowed" panel."""
        account = await self._account()
        self.signed_in_as = account.username if account else ""
        self.allowed = can_use_studio(viewer_of(account, get_settings().admins))
        self.checked = True
        if account is None:
            return self._to_login()
