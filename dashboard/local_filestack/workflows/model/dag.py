"""Validation of a workflow's task graph and the scheduling of its tasks.

:func:`validate_workflow` turns a :class:`Workflow` into a
:class:`PlannedWorkflow`: ids resolved, params checked against the action
contracts, implicit built-in tasks added, cycles rejected, tasks ordered.

:func:`next_steps` is the pure scheduler: from the outcomes recorded so far it
tells which tasks may run now, which must be skipped (and why) and whether the
job is over. Tasks whose requirements are all met become ready together, so an
engine can run them concurrently.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel, ValidationError

from dashboard.local_filestack.workflows.model.conditions import evaluate
from dashboard.local_filestack.workflows.model.contracts import ACTIONS, ActionContract
from dashboard.local_filestack.workflows.model.workflow import (
    Requirement,
    Task,
    TaskOutcome,
    TaskState,
    Workflow,
    WorkflowValidationError,
    describe_validation_error,
    parse_workflow,
)

__all__ = [
    "PlannedTask",
    "PlannedWorkflow",
    "SchedulingError",
    "Steps",
    "WorkflowValidationError",
    "next_steps",
    "plan_workflow",
    "topological_order",
    "validate_workflow",
]


class SchedulingError(ValueError):
    """The outcomes given to the scheduler do not match the plan."""


@dataclass(frozen=True)
class PlannedTask:
    """A validated task: its id, contract, validated params and requirements.

    ``implicit`` marks built-in tasks that were required but not listed; they
    run with default params. ``input`` is the task whose output file this one reads
    instead of the job's source (piping); it is among the requirements too.
    """

    id: str
    action: str
    contract: ActionContract
    params: BaseModel
    requires: tuple[Requirement, ...] = ()
    implicit: bool = False
    input: str | None = None

    @property
    def required_ids(self) -> tuple[str, ...]:
        """Ids of the tasks this one requires, without repeats, in order."""
        return tuple(dict.fromkeys(requirement.task for requirement in self.requires))


@dataclass(frozen=True)
class PlannedWorkflow:
    """A workflow whose graph is valid.

    ``tasks`` keeps declaration order (listed tasks, then implicit ones);
    ``order`` is a topological order (required tasks first).
    """

    workflow: Workflow
    tasks: Mapping[str, PlannedTask]
    order: tuple[str, ...]

    def task(self, task_id: str) -> PlannedTask:
        """The planned task ``task_id``; :class:`KeyError` names it if unknown."""
        try:
            return self.tasks[task_id]
        except KeyError:
            raise KeyError(f"no task {task_id!r} in workflow {self.workflow.name!r}") from None

    def dependents(self, task_id: str) -> tuple[str, ...]:
        """Ids of the tasks that require ``task_id`` directly, in topological order."""
        return tuple(tid for tid in self.order if task_id in self.tasks[tid].required_ids)


@dataclass(frozen=True)
class Steps:
    """What the scheduler decided.

    * ``ready`` -- pending tasks whose requirements are all met, to start now;
    * ``skip`` -- task id -> reason, for tasks to mark skipped now (skips
      cascade: dependents of a task skipped now are in here as well);
    * ``failure`` -- ``"task 'x' failed: <reason>"`` once any task failed;
      nothing is ready then;
    * ``finished`` -- the job is over: every task is done or skipped, or a
      task failed and no task is still running.
    """

    ready: tuple[str, ...] = ()
    skip: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    finished: bool = False
    failure: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the job failed."""
        return self.failure is not None


class _Readiness(Enum):
    """The scheduler's verdict on one pending task."""

    WAIT = "wait"
    READY = "ready"
    SKIP = "skip"


def plan_workflow(
    workflow: Workflow | Mapping[str, Any],
    actions: Mapping[str, ActionContract] | None = None,
) -> PlannedWorkflow:
    """Parse (if given JSON data) and validate a workflow; see :func:`validate_workflow`."""
    if not isinstance(workflow, Workflow):
        workflow = parse_workflow(workflow)
    return validate_workflow(workflow, actions)


def validate_workflow(
    workflow: Workflow, actions: Mapping[str, ActionContract] | None = None
) -> PlannedWorkflow:
    """Check a workflow's graph against the action registry and plan it.

    ``actions`` defaults to :data:`~dashboard.local_filestack.workflows.model.contracts.ACTIONS`.
    Raises :class:`WorkflowValidationError` naming the culprit on: two tasks
    with the same action and no ids, duplicate ids, unknown actions, params not
    fitting the action's contract, requirements on unknown tasks, cycles.
    """
    registry = ACTIONS if actions is None else actions
    _check_anonymous_duplicates(workflow.tasks)
    _check_duplicate_ids(workflow.tasks)
    planned = {task.task_id: _plan_listed(task, registry) for task in workflow.tasks}
    _check_inputs(planned)
    for implicit in _implicit_tasks(planned, registry):
        planned[implicit.id] = implicit
    _check_cycles(planned)
    order = _topological(planned)
    return PlannedWorkflow(workflow=workflow, tasks=MappingProxyType(planned), order=order)


def topological_order(plan: PlannedWorkflow) -> list[str]:
    """Task ids with every task after the tasks it requires (declaration order breaks ties)."""
    return list(plan.order)


def next_steps(plan: PlannedWorkflow, outcomes: Mapping[str, TaskOutcome]) -> Steps:
    """Decide what happens next given the outcomes recorded so far.

    Tasks absent from ``outcomes`` count as pending. A task is ready when every
    requirement is met: the required task is done and its condition (if any)
    holds on the recorded result. A task is skipped when a required task was
    skipped, or is done but its condition is false. Ready tasks are reported on
    every call until the engine records them as running.
    """
    _check_known(plan, outcomes)
    states = {tid: _state(outcomes, tid) for tid in plan.order}
    failure = _first_failure(plan, outcomes)
    if failure is not None:
        running = any(state is TaskState.RUNNING for state in states.values())
        return Steps(finished=not running, failure=failure)
    ready: list[str] = []
    skip: dict[str, str] = {}
    for tid in plan.order:
        if states[tid] is not TaskState.PENDING:
            continue
        verdict, reason = _judge(plan.tasks[tid], states, outcomes)
        if verdict is _Readiness.READY:
            ready.append(tid)
        elif verdict is _Readiness.SKIP:
            skip[tid] = reason or "skipped"
            states[tid] = TaskState.SKIPPED
    finished = not ready and all(state in (TaskState.DONE, TaskState.SKIPPED) for state in states.values())
    return Steps(ready=tuple(ready), skip=MappingProxyType(skip), finished=finished)


def _check_anonymous_duplicates(tasks: Sequence[Task]) -> None:
    """Tasks sharing an action must carry ids (positions are 1-based)."""
    first_by_action: dict[str, int] = {}
    for position, task in enumerate(tasks, start=1):
        if task.id is not None:
            continue
        if task.action in first_by_action:
            raise WorkflowValidationError(
                f"tasks {first_by_action[task.action]} and {position} both use action "
                f"{task.action!r} without ids; give each a unique id"
            )
        first_by_action[task.action] = position


def _check_duplicate_ids(tasks: Sequence[Task]) -> None:
    """Every task id (explicit or defaulted to the action) must be unique."""
    seen: set[str] = set()
    for task in tasks:
        if task.task_id in seen:
            raise WorkflowValidationError(f"duplicate task id {task.task_id!r}")
        seen.add(task.task_id)


def _contract(task_id: str, action: str, registry: Mapping[str, ActionContract]) -> ActionContract:
    """The contract of ``action``, or an error listing the known actions."""
    contract = registry.get(action)
    if contract is None:
        known = ", ".join(sorted(registry)) or "none"
        raise WorkflowValidationError(f"task {task_id!r}: unknown action {action!r}; known actions: {known}")
    return contract


def _validate_params(
    task_id: str, contract: ActionContract, params: Mapping[str, Any], note: str = ""
) -> BaseModel:
    """Fit ``params`` to the contract's params model, prefixing errors with the task id."""
    try:
        return contract.params_model.model_validate(dict(params))
    except ValidationError as exc:
        raise WorkflowValidationError(
            f"task {task_id!r}: invalid params for action {contract.name!r}{note}: "
            f"{describe_validation_error(exc)}"
        ) from exc


def _plan_listed(task: Task, registry: Mapping[str, ActionContract]) -> PlannedTask:
    """Plan a task listed in the workflow; a piped input is required as well (it runs first)."""
    contract = _contract(task.task_id, task.action, registry)
    requires = tuple(task.requires)
    source = task.input.task if task.input is not None else None
    if source is not None and all(requirement.task != source for requirement in requires):
        requires += (Requirement(task=source),)
    return PlannedTask(
        id=task.task_id,
        action=task.action,
        contract=contract,
        params=_validate_params(task.task_id, contract, task.params),
        requires=requires,
        input=source,
    )


def _check_inputs(planned: Mapping[str, PlannedTask]) -> None:
    """A piped input names a task of the workflow whose action produces a file."""
    for task in planned.values():
        if task.input is None:
            continue
        if task.input == task.id:
            raise WorkflowValidationError(f"cycle: task {task.id!r} takes its own output as input")
        source = planned.get(task.input)
        if source is None:
            raise WorkflowValidationError(
                f"task {task.id!r}: input names task {task.input!r}, which is not a task of this workflow"
            )
        if not source.contract.produces_file:
            makers = ", ".join(sorted(name for name, c in ACTIONS.items() if c.produces_file))
            raise WorkflowValidationError(
                f"task {task.id!r}: input task {task.input!r} runs action {source.action!r}, "
                f"which produces no file to pipe (actions that do: {makers})"
            )


def _implicit_tasks(
    planned: Mapping[str, PlannedTask], registry: Mapping[str, ActionContract]
) -> list[PlannedTask]:
    """Built-in tasks that are required but not listed, with default params."""
    implicit: dict[str, PlannedTask] = {}
    for task in planned.values():
        for required in task.required_ids:
            if required in planned or required in implicit:
                continue
            contract = registry.get(required)
            if contract is None:
                raise WorkflowValidationError(
                    f"task {task.id!r}: requires unknown task {required!r}, which is neither "
                    "a task of this workflow nor a built-in action"
                )
            note = f" (required by {task.id!r}, run implicitly with default params)"
            params = _validate_params(required, contract, {}, note)
            implicit[required] = PlannedTask(
                id=required, action=required, contract=contract, params=params, implicit=True
            )
    return list(implicit.values())


def _check_cycles(planned: Mapping[str, PlannedTask]) -> None:
    """Reject requirement cycles, showing one as ``cycle: a -> b -> a``.

    Arrows point from a task to a task that requires it (the order they would run in).
    """
    done: set[str] = set()
    for start in planned:
        cycle = _find_cycle(start, planned, done)
        if cycle is not None:
            raise WorkflowValidationError("cycle: " + " -> ".join(_in_run_order(cycle, planned)))


def _find_cycle(start: str, planned: Mapping[str, PlannedTask], done: set[str]) -> list[str] | None:
    """Depth-first search along requirements; return a cycle (first id repeated last)."""
    stack: list[tuple[str, Iterator[str]]] = []
    on_path: list[str] = []
    if start in done:
        return None
    stack.append((start, iter(planned[start].required_ids)))
    on_path.append(start)
    while stack:
        node, children = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            on_path.pop()
            done.add(node)
            continue
        if child in on_path:
            return on_path[on_path.index(child) :] + [child]
        if child not in done:
            stack.append((child, iter(planned[child].required_ids)))
            on_path.append(child)
    return None


def _in_run_order(cycle: list[str], planned: Mapping[str, PlannedTask]) -> list[str]:
    """Reverse a requirement cycle and start it at its earliest declared task."""
    ring = list(reversed(cycle[:-1]))
    position = {tid: index for index, tid in enumerate(planned)}
    first = min(range(len(ring)), key=lambda index: position[ring[index]])
    ring = ring[first:] + ring[:first]
    return ring + [ring[0]]


def _topological(planned: Mapping[str, PlannedTask]) -> tuple[str, ...]:
    """Kahn's algorithm; among tasks free to go, the earliest declared goes first."""
    position = {tid: index for index, tid in enumerate(planned)}
    waiting = {tid: set(task.required_ids) for tid, task in planned.items()}
    heap = [position[tid] for tid, needs in waiting.items() if not needs]
    heapq.heapify(heap)
    ids = list(planned)
    order: list[str] = []
    while heap:
        tid = ids[heapq.heappop(heap)]
        order.append(tid)
        for other, needs in waiting.items():
            if tid in needs:
                needs.discard(tid)
                if not needs:
                    heapq.heappush(heap, position[other])
    return tuple(order)


def _state(outcomes: Mapping[str, TaskOutcome], task_id: str) -> TaskState:
    """The recorded state of a task; absent means pending."""
    outcome = outcomes.get(task_id)
    return TaskState.PENDING if outcome is None else TaskState(outcome.state)


def _check_known(plan: PlannedWorkflow, outcomes: Mapping[str, TaskOutcome]) -> None:
    """Outcomes must belong to tasks of the plan."""
    unknown = sorted(set(outcomes) - set(plan.tasks))
    if unknown:
        raise SchedulingError(
            f"outcomes for tasks not in workflow {plan.workflow.name!r}: {', '.join(map(repr, unknown))}"
        )


def _first_failure(plan: PlannedWorkflow, outcomes: Mapping[str, TaskOutcome]) -> str | None:
    """The failure message of the first failed task (in topological order), if any."""
    for tid in plan.order:
        outcome = outcomes.get(tid)
        if outcome is not None and TaskState(outcome.state) is TaskState.FAILED:
            return f"task {tid!r} failed: {outcome.reason or 'no reason given'}"
    return None


def _judge(
    task: PlannedTask, states: Mapping[str, TaskState], outcomes: Mapping[str, TaskOutcome]
) -> tuple[_Readiness, str | None]:
    """Whether a pending task can run, must be skipped (with why) or must wait."""
    waiting = False
    for requirement in task.requires:
        state = states[requirement.task]
        if state is TaskState.SKIPPED:
            return _Readiness.SKIP, f"required task {requirement.task!r} was skipped"
        if state is not TaskState.DONE:
            waiting = True
            continue
        if requirement.condition is not None:
            verdict = evaluate(requirement.condition, outcomes[requirement.task].result, requirement.task)
            if not verdict.holds:
                return _Readiness.SKIP, verdict.reason
    return (_Readiness.WAIT, None) if waiting else (_Readiness.READY, None)
