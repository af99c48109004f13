"""Pushing a saved profile into every other window that shows it, through Reflex's state manager.

The app is attached once at start (``dashboard.py``). For each window noted under the
profile's owner (:mod:`dashboard.profile_windows`), ``app.modify_state`` takes that
window's state lock (in memory, or in Redis with several app workers), lets each
receiving state take the new text if it still shows this owner's profile, and sends
the change to the browser, to whichever worker holds its websocket. Windows whose
websocket is down are skipped. Only public text (name, headline, bio) travels this way.
"""

from __future__ import annotations

import logging
from typing import Any, Protocol, TypeVar

import reflex as rx
from redis.exceptions import RedisError

from dashboard import profile_windows
from dashboard.models import Profile
from dashboard.settings import get_settings

log = logging.getLogger(__name__)


class Receiver(Protocol):
    """A state that shows a profile's text."""

    def _take_pushed_text(self, owner_id: int, profile: Profile) -> None: ...


R = TypeVar("R", bound=type)

_receivers: list[type] = []
_app: Any = None


def receiver(state_class: R) -> R:
    """Mark a state class as showing profiles: pushes reach its ``_take_pushed_text``."""
    _receivers.append(state_class)
    return state_class


def attach(app: Any) -> None:
    """The running app, whose state manager pushes go through (wiring, once at start)."""
    global _app
    _app = app


async def _connected(app: Any, client_token: str) -> bool:
    """Whether the window's websocket is open on any worker (Reflex's token manager knows)."""
    namespace = getattr(app, "event_namespace", None)
    tokens = getattr(namespace, "_token_manager", None)
    if tokens is None:
        return True
    return bool(await tokens.is_token_connected(client_token))


async def push(owner_id: int, profile: Profile, *, origin: str = "", app: Any = None) -> int:
    """Show ``profile``'s text in every open window of it but ``origin``; return how many were told."""
    app = app if app is not None else _app
    if app is None or not _receivers:
        log.debug("no app attached: profile %s pushed to no window", owner_id)
        return 0
    notes = profile_windows.notes(get_settings().redis_url)
    told = 0
    for client_token in await notes.windows(owner_id):
        if client_token == origin:
            continue
        if not await _connected(app, client_token):
            # Its websocket is down (a reload, a network blip): skipped, not forgotten; the note
            # expires on its own, and a reconnected window takes the next push.
            continue
        try:
            async with app.modify_state(rx.BaseStateToken(ident=client_token, cls=_receivers[0])) as root:
                for state_class in _receivers:
                    state: Receiver = await root.get_state(state_class)
                    state._take_pushed_text(owner_id, profile)
        except RedisError as err:
            log.warning("could not push profile %s to a window: %s", owner_id, err)
            continue
        told += 1
    return told
