"""Running Reflex event handlers (background ones included) without a browser.

Background tasks cannot be called directly; they run through Reflex's own event processor
over an in-memory state manager, as Reflex's test-suite does. ``states(token)`` reads the
state tree a client would see after the events.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import reflex as rx
from reflex.istate.manager.memory import StateManagerMemory
from reflex_base.event import Event
from reflex_base.event.processor import BaseStateEventProcessor


@dataclass
class Events:
    """A running event processor, one client token, and every exception a handler raised."""

    processor: BaseStateEventProcessor
    manager: StateManagerMemory
    token: str = field(default_factory=lambda: uuid.uuid4().hex)
    errors: list[BaseException] = field(default_factory=list)

    async def run(self, state: type[rx.State], handler: str, **payload: Any) -> None:
        """Process ``state.handler(**payload)`` and every event it chains, to the end."""
        future = await self.processor.enqueue(
            self.token, Event(name=f"{state.get_full_name()}.{handler}", payload=payload)
        )
        await future.wait_all()
        if self.errors:
            raise self.errors[0]

    async def state(self, state: type[rx.State]) -> Any:
        """The client's instance of ``state`` as the events left it."""
        root = await self.manager.get_state(rx.BaseStateToken(ident=self.token, cls=state))
        return await root.get_state(state)


@contextlib.asynccontextmanager
async def event_processor() -> AsyncIterator[Events]:
    """A started processor on a fresh in-memory state manager."""
    manager = StateManagerMemory()
    errors: list[BaseException] = []

    def record(error: Exception) -> None:
        errors.append(error)

    processor = BaseStateEventProcessor(backend_exception_handler=record, graceful_shutdown_timeout=5)
    processor.configure(state_manager=manager)
    async with processor:
        yield Events(processor, manager, errors=errors)


async def sign_in(events: Events, token: str) -> None:
    """Give the client of ``events`` a session cookie, as a browser that signed in has.

    The state is marked hydrated: a browser's first event hydrates it with the cookies it
    sends; without a browser, hydrating would clear the cookie again.
    """
    from dashboard.state import SessionState

    root = await events.manager.get_state(rx.BaseStateToken(ident=events.token, cls=SessionState))
    root.is_hydrated = True
    (await root.get_state(SessionState)).session_token = token
