"""The ``process`` action: run a Processing API chain on the source, store the result.

``params.tasks`` is a chain in CDN grammar
(``"rotate=deg:exif/no_metadata/resize=width:400/store=location:s3"``) or a list
of ``{"name", "params"}`` steps. The image tasks run through
:func:`dashboard.local_filestack.imaging.transform` -- the CDN's own code -- in
the process pool. With a ``store`` task the result is stored there; without
one it is kept as a temporary file of the job (deleted with the job), so the
task's data always carries a ``url``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError

from dashboard.filestack_protocol import grammar
from dashboard.filestack_protocol.grammar import PARAM_ALIASES, GrammarError, Task
from dashboard.local_filestack.imaging import (
    FaceFinder,
    ImagingError,
    Limits,
    Rendered,
    transform,
    validate_tasks,
)
from dashboard.local_filestack.ingest.receive import StoreOptions
from dashboard.local_filestack.storage.files import rendition_filename
from dashboard.local_filestack.workflows.engine.actions.base import ActionContext, ActionError
from dashboard.local_filestack.workflows.model.contracts import ProcessingStep, ProcessParams

IGNORED_TASKS = frozenset({"security", "cache"})
"""Tasks that may appear in a chain and mean nothing inside a workflow."""

REFUSED_TASKS = frozenset({"run_workflow", "workflow_status", "metadata"})
"""Tasks of the CDN that cannot be part of a ``process`` chain."""


@dataclass(frozen=True)
class ProcessChain:
    """A parsed ``process`` chain: the image tasks and the optional ``store`` task."""

    image_tasks: tuple[Task, ...]
    store: StoreOptions | None = None


def render(data: bytes, tasks: tuple[Task, ...], limits: Limits, find_faces: FaceFinder | None) -> Rendered:
    """Run ``tasks`` on ``data`` (module level so the process pool can pickle it)."""
    return transform(data, tasks, limits, find_faces)


def _step_task(step: ProcessingStep) -> Task:
    """A list-form step as a grammar task, with short parameter names expanded."""
    aliases = PARAM_ALIASES.get(step.name, {})
    return Task(step.name, {aliases.get(key, key): value for key, value in step.params.items()})


def parse_chain(tasks: str | Sequence[ProcessingStep]) -> ProcessChain:
    """Parse and check a chain; :class:`ActionError` names the offending task."""
    try:
        parsed = (
            grammar.parse_chain(tasks) if isinstance(tasks, str) else [_step_task(step) for step in tasks]
        )
    except GrammarError as exc:
        raise ActionError(f"invalid process chain: {exc}") from exc
    image_tasks: list[Task] = []
    store: StoreOptions | None = None
    for position, task in enumerate(parsed):
        if task.name in IGNORED_TASKS:
            continue
        if task.name in REFUSED_TASKS:
            raise ActionError(f"task '{task.name}' cannot run inside a process chain")
        if task.name == "store":
            if position != len(parsed) - 1:
                raise ActionError("the store task must end the process chain")
            store = _store_options(task)
            continue
        image_tasks.append(task)
    try:
        validate_tasks(image_tasks)
    except ImagingError as exc:
        raise ActionError(f"invalid process chain: {exc}") from exc
    if not image_tasks and store is None:
        raise ActionError("the process chain has no task to run")
    return ProcessChain(image_tasks=tuple(image_tasks), store=store)


def _store_options(task: Task) -> StoreOptions:
    """The ``store`` task's options; ``workflows`` cannot start jobs from inside a job."""
    if "workflows" in task.params:
        raise ActionError("store=workflows is not supported inside a workflow")
    if "base64decode" in task.params:
        raise ActionError("store=base64decode is not supported inside a workflow")
    try:
        return StoreOptions.model_validate(
            {key: value for key, value in task.params.items() if value is not True}
        )
    except ValidationError as exc:
        problem = exc.errors()[0]
        raise ActionError(
            f"invalid store task: {'.'.join(map(str, problem['loc']))}: "
            f"{str(problem['msg']).removeprefix('Value error, ')}"
        ) from exc


class ProcessAction:
    """Runs a processing chain; stores the result (or keeps it as a temporary file).

    Idempotent: the output handle is reserved before rendering, so a re-run finds
    the stored result and returns it without rendering again.
    """

    name = "process"

    async def run(self, context: ActionContext, params: BaseModel) -> dict[str, Any]:
        """Render the chain on the source and describe the stored result."""
        if not isinstance(params, ProcessParams):
            raise ActionError(f"process expects ProcessParams, got {type(params).__name__}")
        chain = parse_chain(params.tasks)
        slot, existing = await context.output_slot(temporary=chain.store is None)
        if existing is not None:
            return context.stored_data(existing)
        source = await context.source_file()
        data = await context.read_source()
        if chain.image_tasks:
            try:
                resources = context.resources
                rendered = await context.run_cpu(
                    render, data, chain.image_tasks, resources.limits, resources.find_faces
                )
            except ImagingError as exc:
                raise ActionError(str(exc)) from exc
            data, mimetype = rendered.data, rendered.mimetype
            width: int | None = rendered.width
            height: int | None = rendered.height
        else:
            mimetype, width, height = source.mimetype, source.width, source.height
        options = chain.store or StoreOptions()
        filename = (
            rendition_filename(source.filename, mimetype) if mimetype != source.mimetype else source.filename
        )
        new = options.new_file(data, filename=filename, mimetype=mimetype, width=width, height=height)
        stored = await context.write_output(slot, new)
        return context.stored_data(stored)
