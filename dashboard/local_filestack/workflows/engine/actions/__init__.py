"""The registry of action implementations, keyed by the action names of the contracts.

Contracts (what an action accepts and records) live in
:mod:`dashboard.local_filestack.workflows.model.contracts`; this registry maps the
same names to code. The built-in implementations are ``process``, ``store``,
``delete``, ``quarantine``, ``virus_scan`` (:mod:`.holding`) and the analyses ``sfw``,
``ocr``, ``tags`` and ``copyright`` (:mod:`.intelligence`). An action with a contract but no implementation still
validates in workflows, and its tasks fail with "action 'ocr' is not available
in this service". Adding one is a single call::

    registry.register(MySfwAction())            # an object with name + async run()
    registry.register_function("sfw", my_sfw)   # or a coroutine function
"""

from __future__ import annotations

from collections.abc import Mapping

from dashboard.local_filestack.workflows.engine.actions.base import (
    Action,
    ActionContext,
    ActionError,
    ActionFunction,
    ActionResources,
    ActionUnavailable,
    FunctionAction,
)
from dashboard.local_filestack.workflows.engine.actions.delete import DeleteAction
from dashboard.local_filestack.workflows.engine.actions.holding import QuarantineAction, VirusScanAction
from dashboard.local_filestack.workflows.engine.actions.intelligence import intelligence_actions
from dashboard.local_filestack.workflows.engine.actions.process import ProcessAction
from dashboard.local_filestack.workflows.engine.actions.store import StoreAction
from dashboard.local_filestack.workflows.model.contracts import ACTIONS, ActionContract

__all__ = [
    "Action",
    "ActionContext",
    "ActionError",
    "ActionFunction",
    "ActionRegistry",
    "ActionResources",
    "ActionUnavailable",
    "FunctionAction",
    "RegistryError",
    "default_registry",
]


class RegistryError(ValueError):
    """An implementation that cannot be registered (no contract, name taken)."""


class ActionRegistry:
    """Action implementations by name; every name must have a contract."""

    def __init__(self, contracts: Mapping[str, ActionContract] | None = None) -> None:
        self._contracts = ACTIONS if contracts is None else contracts
        self._actions: dict[str, Action] = {}

    def register(self, action: Action, *, replace: bool = False) -> Action:
        """Add an implementation; ``replace`` allows swapping an existing one."""
        if not isinstance(action, Action):
            raise RegistryError(f"{action!r} is not an action (it needs a name and an async run())")
        if action.name not in self._contracts:
            raise RegistryError(f"action {action.name!r} has no contract; register its ActionContract first")
        if action.name in self._actions and not replace:
            raise RegistryError(f"action {action.name!r} already has an implementation")
        self._actions[action.name] = action
        return action

    def register_function(self, name: str, function: ActionFunction, *, replace: bool = False) -> Action:
        """Register ``async def function(context, params) -> dict`` as action ``name``."""
        return self.register(FunctionAction(name, function), replace=replace)

    def unregister(self, name: str) -> bool:
        """Remove an implementation; ``True`` if there was one."""
        return self._actions.pop(name, None) is not None

    def get(self, name: str) -> Action:
        """The implementation of ``name``; :class:`ActionUnavailable` if there is none."""
        action = self._actions.get(name)
        if action is None:
            raise ActionUnavailable(name)
        return action

    def available(self) -> list[str]:
        """Names of the implemented actions."""
        return sorted(self._actions)

    def __contains__(self, name: object) -> bool:
        return name in self._actions


def default_registry() -> ActionRegistry:
    """A registry holding the built-in implementations: process, store, delete, sfw, ocr, tags, copyright,
    quarantine and virus_scan."""
    registry = ActionRegistry()
    actions: list[Action] = [
        ProcessAction(),
        StoreAction(),
        DeleteAction(),
        QuarantineAction(),
        VirusScanAction(),
        *intelligence_actions(),
    ]
    for action in actions:
        registry.register(action)
    return registry
