"""Workflow definitions: models, conditions, action contracts, graph checks, scheduling."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, ValidationError

from dashboard.local_filestack.workflows.model import contracts
from dashboard.local_filestack.workflows.model.conditions import evaluate, json_equal, resolve_path
from dashboard.local_filestack.workflows.model.contracts import (
    ACTIONS,
    ActionContract,
    ContractError,
    contracts_json,
    register,
)
from dashboard.local_filestack.workflows.model.dag import (
    PlannedWorkflow,
    SchedulingError,
    Steps,
    next_steps,
    plan_workflow,
    topological_order,
    validate_workflow,
)
from dashboard.local_filestack.workflows.model.workflow import (
    Condition,
    TaskOutcome,
    TaskState,
    Workflow,
    WorkflowValidationError,
    parse_workflow,
)

DELETE_NSFW = {
    "name": "deleteNSFW",
    "tasks": [
        {
            "action": "delete",
            "requires": [{"task": "sfw", "condition": {"type": "gt", "value": 50, "path": ["nsfw"]}}],
        }
    ],
}


def task(task_id: str, action: str = "sfw", *requires: Any, **params: Any) -> dict[str, Any]:
    """A raw task; ``requires`` items are ids or full requirement dicts."""
    reqs = [r if isinstance(r, dict) else {"task": r} for r in requires]
    return {"id": task_id, "action": action, "params": params, "requires": reqs}


def workflow(*tasks: dict[str, Any], name: str = "wf") -> dict[str, Any]:
    """A raw workflow."""
    return {"name": name, "tasks": list(tasks)}


def done(data: dict[str, Any] | None = None) -> TaskOutcome:
    """A done outcome whose result is ``{"data": data}``."""
    return TaskOutcome(state=TaskState.DONE, result={"data": data or {}})


def run(
    plan: PlannedWorkflow, results: dict[str, dict[str, Any]]
) -> tuple[list[list[str]], dict[str, str], Steps]:
    """Drive the scheduler to the end; tasks finish with ``results[id]`` (default {})."""
    outcomes: dict[str, TaskOutcome] = {}
    rounds: list[list[str]] = []
    skipped: dict[str, str] = {}
    steps = next_steps(plan, outcomes)
    while not steps.finished:
        for tid, reason in steps.skip.items():
            outcomes[tid] = TaskOutcome(state=TaskState.SKIPPED, reason=reason)
            skipped[tid] = reason
        if steps.ready:
            rounds.append(sorted(steps.ready))
        for tid in steps.ready:
            outcomes[tid] = done(results.get(tid))
        steps = next_steps(plan, outcomes)
    skipped.update(steps.skip)
    return rounds, skipped, steps


def rejection(raw: dict[str, Any]) -> str:
    """The message of the error that rejects ``raw``."""
    with pytest.raises(WorkflowValidationError) as info:
        plan_workflow(raw)
    return str(info.value)


def cond(kind: str, value: Any, path: list[Any] | None = None) -> Condition:
    """A condition."""
    return Condition(type=kind, value=value, path=path)


# --- the seed's example -------------------------------------------------------


def test_delete_nsfw_validates_and_gains_implicit_sfw_task() -> None:
    plan = plan_workflow(DELETE_NSFW)
    assert set(plan.tasks) == {"delete", "sfw"}
    assert plan.tasks["sfw"].implicit and plan.tasks["sfw"].action == "sfw"
    assert not plan.tasks["delete"].implicit
    assert topological_order(plan) == ["sfw", "delete"]
    assert next_steps(plan, {}).ready == ("sfw",)


def test_delete_nsfw_skips_delete_for_safe_image() -> None:
    plan = plan_workflow(DELETE_NSFW)
    steps = next_steps(plan, {"sfw": done({"sfw": True, "nsfw": 3})})
    assert steps.ready == ()
    assert steps.skip == {"delete": "condition gt 50 on sfw.nsfw was false (value 3)"}
    assert steps.finished and not steps.failed


def test_delete_nsfw_runs_delete_for_unsafe_image() -> None:
    plan = plan_workflow(DELETE_NSFW)
    steps = next_steps(plan, {"sfw": done({"sfw": False, "nsfw": 97})})
    assert steps.ready == ("delete",)
    assert not steps.skip and not steps.finished
    final = next_steps(plan, {"sfw": done({"nsfw": 97}), "delete": done({"deleted": True})})
    assert final.finished and final.ready == () and not final.failed


# --- conditions -----------------------------------------------------------------

NESTED = {"x": [{"y": 2, "z": 3}, {"y": 4, "z": 5}], "s": "hello world", "o": {"k": 1}}


def test_resolve_path_seed_example() -> None:
    assert resolve_path(NESTED, ["x", 0, "y"]) == 2
    assert resolve_path(NESTED, ["x", 1, "z"]) == 5
    assert resolve_path(NESTED, []) == NESTED


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (cond("gt", 1, ["x", 0, "y"]), True),
        (cond("gt", 2, ["x", 0, "y"]), False),
        (cond("lt", 4.5, ["x", 1, "y"]), True),
        (cond("lt", 4, ["x", 1, "y"]), False),
        (cond("equals", 2.0, ["x", 0, "y"]), True),
        (cond("equals", "2", ["x", 0, "y"]), False),
        (cond("equals", {"y": 4, "z": 5}, ["x", 1]), True),
        (cond("equals", [{"y": 2, "z": 3}, {"y": 4, "z": 5.0}], ["x"]), True),
        (cond("includes", {"y": 4, "z": 5}, ["x"]), True),
        (cond("includes", {"y": 9}, ["x"]), False),
        (cond("includes", "lo wo", ["s"]), True),
        (cond("includes", "bye", ["s"]), False),
        (cond("includes", "k", ["o"]), True),
        (cond("includes", "q", ["o"]), False),
        (cond("includes", "o", None), True),
    ],
)
def test_condition_types_with_nested_paths(condition: Condition, holds: bool) -> None:
    verdict = evaluate(condition, {"data": NESTED}, "t")
    assert verdict.holds is holds
    assert (verdict.reason is None) is holds


def test_json_equality_rules() -> None:
    assert json_equal(1, 1.0)
    assert not json_equal("1", 1)
    assert not json_equal(True, 1)
    assert not json_equal(0, False)
    assert json_equal(None, None)
    assert not json_equal({"a": 1}, {"a": 1, "b": 2})
    assert not json_equal([1], (1, 2))


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (["nsfw"], "no key 'nsfw'"),
        (["x", 2, "y"], "index 2 out of range"),
        (["x", "y"], "key 'y' applied to an array"),
        (["s", 0], "index 0 applied to a string"),
        (["x", 0, "y", "deeper"], "key 'deeper' applied to a number"),
    ],
)
def test_unresolved_path_is_false_with_reason(path: list[Any], detail: str) -> None:
    verdict = evaluate(cond("equals", 1, path), {"data": NESTED}, "sfw")
    assert not verdict.holds
    assert verdict.reason is not None
    assert verdict.reason.startswith(f"path {path!r} not found in result of 'sfw'")
    assert detail in verdict.reason


def test_missing_nsfw_reason_matches_spec_wording() -> None:
    verdict = evaluate(cond("gt", 50, ["nsfw"]), {"data": {"sfw": True}}, "sfw")
    assert not verdict.holds
    assert "path ['nsfw'] not found in result of 'sfw'" in (verdict.reason or "")


@pytest.mark.parametrize("value", ["3", True, None, [3], {"n": 3}])
def test_gt_lt_on_non_numbers_is_false_not_an_error(value: Any) -> None:
    for kind in ("gt", "lt"):
        verdict = evaluate(cond(kind, 1, ["v"]), {"data": {"v": value}}, "t")
        assert not verdict.holds
        assert "is not a number" in (verdict.reason or "")


@pytest.mark.parametrize("value", [3, True, None])
def test_includes_on_scalars_is_false_not_an_error(value: Any) -> None:
    verdict = evaluate(cond("includes", 3, ["v"]), {"data": {"v": value}}, "t")
    assert not verdict.holds
    assert "not an array, string or object" in (verdict.reason or "")


def test_includes_needs_string_for_strings_and_objects() -> None:
    assert not evaluate(cond("includes", 1, ["s"]), {"data": {"s": "a1"}}, "t").holds
    assert not evaluate(cond("includes", 1, ["o"]), {"data": {"o": {"1": 0}}}, "t").holds


def test_explicit_data_prefix_in_path() -> None:
    result = {"data": {"nsfw": 97}}
    assert evaluate(cond("gt", 50, ["data", "nsfw"]), result, "sfw").holds
    nested = {"data": {"data": {"nsfw": 1}, "nsfw": 97}}
    assert evaluate(cond("lt", 50, ["data", "nsfw"]), nested, "sfw").holds


def test_missing_result_is_false_with_reason() -> None:
    verdict = evaluate(cond("gt", 50, ["nsfw"]), None, "sfw")
    assert not verdict.holds and "not found in result of 'sfw'" in (verdict.reason or "")


# --- condition model --------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "culprit"),
    [
        ({"type": "gte", "value": 1}, "'gte'"),
        ({"type": "equals", "value": 1, "path": ["a", 1.5]}, "path element 1 (1.5)"),
        ({"type": "equals", "value": 1, "path": [True]}, "path element 0 (True)"),
        ({"type": "equals", "value": 1, "path": [None]}, "path element 0 (None)"),
        ({"type": "equals", "value": 1, "path": "a"}, "path must be a list"),
        ({"type": "gt", "value": "50"}, "condition gt needs a numeric value"),
        ({"type": "lt", "value": True}, "condition lt needs a numeric value"),
    ],
)
def test_bad_conditions_are_rejected(condition: dict[str, Any], culprit: str) -> None:
    raw = workflow(task("d", "delete", {"task": "sfw", "condition": condition}))
    message = rejection(raw)
    assert "task 'd' (tasks[0])" in message
    assert culprit in message


# --- graph validation ---------------------------------------------------------------


def test_diamond_plans_with_b_and_c_ready_together() -> None:
    plan = plan_workflow(
        workflow(task("d", "delete", "b", "c"), task("b", "ocr", "a"), task("c", "tags", "a"), task("a"))
    )
    order = topological_order(plan)
    assert order.index("a") < order.index("b") < order.index("d")
    assert order.index("a") < order.index("c") < order.index("d")
    rounds, skipped, final = run(plan, {})
    assert rounds == [["a"], ["b", "c"], ["d"]]
    assert not skipped and final.finished and not final.failed
    assert plan.dependents("a") == ("b", "c")


def test_chain_plans_in_order() -> None:
    plan = plan_workflow(workflow(task("c", "ocr", "b"), task("b", "tags", "a"), task("a")))
    assert topological_order(plan) == ["a", "b", "c"]
    rounds, _, final = run(plan, {})
    assert rounds == [["a"], ["b"], ["c"]] and final.finished


def test_independent_tasks_are_ready_together() -> None:
    plan = plan_workflow(workflow(task("a"), task("b", "ocr"), task("c", "tags")))
    assert set(next_steps(plan, {}).ready) == {"a", "b", "c"}


def test_running_tasks_are_not_ready_again() -> None:
    plan = plan_workflow(workflow(task("a"), task("b", "ocr", "a")))
    steps = next_steps(plan, {"a": TaskOutcome(state=TaskState.RUNNING)})
    assert steps.ready == () and not steps.skip and not steps.finished


def test_false_condition_skips_task_and_its_dependents() -> None:
    gate = {"task": "a", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}
    plan = plan_workflow(
        workflow(
            task("a"),
            task("b", "ocr", gate),
            task("c", "tags", "b"),
            task("d", "delete", "c"),
            task("e", "copyright", "a"),
        )
    )
    steps = next_steps(plan, {"a": done({"sfw": False})})
    assert steps.ready == ("e",)
    assert steps.skip == {
        "b": "condition equals true on a.sfw was false (value false)",
        "c": "required task 'b' was skipped",
        "d": "required task 'c' was skipped",
    }
    assert not steps.finished


def test_skip_with_one_requirement_still_pending() -> None:
    gate = {"task": "a", "condition": {"type": "lt", "value": 0, "path": ["n"]}}
    plan = plan_workflow(workflow(task("a"), task("b", "ocr"), task("c", "delete", "b", gate)))
    steps = next_steps(plan, {"a": done({"n": 5})})
    assert steps.skip == {"c": "condition lt 0 on a.n was false (value 5)"}
    assert steps.ready == ("b",)


def test_unresolved_path_skips_with_reason() -> None:
    plan = plan_workflow(DELETE_NSFW)
    steps = next_steps(plan, {"sfw": done({"sfw": True})})
    assert "path ['nsfw'] not found in result of 'sfw'" in steps.skip["delete"]
    assert steps.finished


def test_failure_fails_the_job_and_blocks_downstream() -> None:
    plan = plan_workflow(
        workflow(task("a"), task("b", "ocr", "a"), task("c", "tags"), task("d", "delete", "b"))
    )
    failed = TaskOutcome(state=TaskState.FAILED, reason="image unreadable")
    steps = next_steps(plan, {"a": failed, "c": TaskOutcome(state=TaskState.RUNNING)})
    assert steps.failed and steps.failure == "task 'a' failed: image unreadable"
    assert steps.ready == () and not steps.skip
    assert not steps.finished
    over = next_steps(plan, {"a": failed, "c": done()})
    assert over.failed and over.finished and over.ready == ()


def test_outcomes_for_unknown_tasks_are_refused() -> None:
    plan = plan_workflow(DELETE_NSFW)
    with pytest.raises(SchedulingError, match="'ghost'"):
        next_steps(plan, {"ghost": done()})


def test_task_id_defaults_to_action_and_requirements_use_it() -> None:
    plan = plan_workflow(
        {"name": "n", "tasks": [{"action": "ocr"}, {"action": "delete", "requires": [{"task": "ocr"}]}]}
    )
    assert topological_order(plan) == ["ocr", "delete"]
    assert not plan.tasks["ocr"].implicit


def test_same_action_with_ids_is_fine_and_params_are_validated() -> None:
    plan = plan_workflow(
        workflow(
            task("small", "process", tasks="resize=width:100/store=location:s3"),
            task(
                "big",
                "process",
                "small",
                tasks=[{"name": "resize", "params": {"width": 900}}, {"name": "flip"}],
            ),
            task("keep", "store", "big", location="S3", access="public", path="/out/"),
        )
    )
    store = plan.tasks["keep"].params
    assert store.model_dump() == {
        "location": "s3",
        "path": "/out/",
        "container": None,
        "filename": None,
        "access": "public",
    }
    assert plan.tasks["keep"].contract is ACTIONS["store"]


@pytest.mark.parametrize(
    ("raw", "fragments"),
    [
        (workflow(task("store", "store"), task("store", "delete")), ["duplicate task id 'store'"]),
        (
            {
                "name": "n",
                "tasks": [
                    {"action": "process", "params": {"tasks": "flip"}},
                    {"action": "ocr"},
                    {"action": "process", "params": {"tasks": "flop"}},
                ],
            },
            ["tasks 1 and 3 both use action 'process' without ids; give each a unique id"],
        ),
        (
            workflow(task("x", "resize")),
            ["task 'x': unknown action 'resize'; known actions:", "sfw", "store"],
        ),
        (workflow(task("d", "delete", "sfww")), ["task 'd'", "unknown task 'sfww'"]),
        (workflow(task("a", "sfw", "b"), task("b", "ocr", "a")), ["cycle: a -> b -> a"]),
        (workflow(task("a", "sfw", "a")), ["cycle: a -> a"]),
        (
            workflow(
                task("a", "sfw", "c"), task("b", "ocr", "a"), task("c", "tags", "b"), task("z", "delete")
            ),
            ["cycle: a -> b -> c -> a"],
        ),
        (workflow(task("keep", "store", access="world")), ["task 'keep'", "access", "'world'"]),
        (workflow(task("keep", "store", bucket="b")), ["task 'keep'", "bucket", "Extra inputs"]),
        (workflow(task("gone", "delete", force=True)), ["task 'gone'", "force"]),
        (workflow(task("p", "process")), ["task 'p'", "tasks", "Field required"]),
        (workflow(task("p", "process", tasks="")), ["task 'p'", "empty"]),
        (workflow(task("p", "process", tasks=[{"params": {}}])), ["task 'p'", "name"]),
        (workflow(task("d", "delete", "process")), ["task 'process'", "required by 'd'", "tasks"]),
    ],
)
def test_invalid_graphs_are_rejected_naming_the_culprit(raw: dict[str, Any], fragments: list[str]) -> None:
    message = rejection(raw)
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"tasks": [{"action": "sfw"}]}, "name: Field required"),
        ({"name": "  ", "tasks": [{"action": "sfw"}]}, "name must not be empty"),
        ({"name": "n"}, "tasks: Field required"),
        ({"name": "n", "tasks": []}, "tasks"),
        ({"name": "n", "tasks": [{"id": "t"}]}, "task 't' (tasks[0]): action"),
        ({"name": "n", "tasks": [{"action": "sfw", "params": [1]}]}, "task 'sfw' (tasks[0]): params"),
        ({"name": "n", "tasks": [{"action": "sfw", "requires": [{"condition": None}]}]}, "requires[0].task"),
        ({"name": "n", "tasks": [{"action": "sfw", "when": 1}]}, "when"),
        ({"name": "n", "webhook": "ftp://host/x", "tasks": [{"action": "sfw"}]}, "webhook"),
        ({"name": "n", "id": "not-a-uuid", "tasks": [{"action": "sfw"}]}, "id"),
    ],
)
def test_malformed_definitions_are_rejected(raw: dict[str, Any], fragment: str) -> None:
    assert fragment in rejection(raw)


def test_non_object_definition_is_rejected() -> None:
    with pytest.raises(WorkflowValidationError, match="JSON object"):
        parse_workflow(["not", "a", "workflow"])  # type: ignore[arg-type]


def test_workflow_fields_round_trip() -> None:
    raw = {
        "id": "0b8e3c1c-5a43-4bd5-9c2e-2b1bb1f5e7f1",
        "name": "n",
        "webhook": "https://example.com/hook",
        "tasks": [{"action": "sfw"}],
    }
    wf = parse_workflow(raw)
    assert wf.webhook == "https://example.com/hook"
    assert str(wf.id) == raw["id"]
    assert wf.tasks[0].task_id == "sfw" and wf.tasks[0].params == {}
    assert validate_workflow(wf).workflow is wf


def test_models_reject_bad_input_with_pydantic_errors() -> None:
    with pytest.raises(ValidationError):
        Workflow.model_validate({"name": "n", "tasks": [{"action": ""}]})
    with pytest.raises(ValidationError):
        TaskOutcome(state="finished")


# --- contracts ------------------------------------------------------------------------


def test_contracts_json_renders_every_action_with_a_params_schema() -> None:
    rendered = {entry["name"]: entry for entry in contracts_json()}
    assert set(rendered) >= {"process", "store", "delete", "sfw", "ocr", "tags", "copyright"}
    assert set(rendered) == set(ACTIONS)
    for entry in rendered.values():
        assert entry["description"]
        assert entry["params"]["type"] == "object"
        assert isinstance(entry["output"], dict) and entry["output"]
    assert rendered["store"]["params"]["properties"]["access"]["default"] == "private"
    assert rendered["store"]["params"]["properties"]["location"]["default"] == "s3"
    assert set(rendered["sfw"]["output"]["properties"]) == {"sfw", "nsfw"}
    assert set(rendered["delete"]["output"]["properties"]) == {"deleted", "handle"}


def test_params_models_forbid_extra_keys() -> None:
    for contract in ACTIONS.values():
        assert contract.params_model.model_config.get("extra") == "forbid"


class _WatermarkParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = "draft"


class _LooseParams(BaseModel):
    text: str = ""


@pytest.fixture
def watermark() -> Any:
    contract = ActionContract(
        name="watermark",
        description="Stamp text.",
        params_model=_WatermarkParams,
        output={"type": "object"},
        cpu_bound=True,
    )
    register(contract)
    yield contract
    contracts.ACTIONS.pop("watermark", None)


def test_registered_action_is_usable_and_listed(watermark: ActionContract) -> None:
    assert "watermark" in {entry["name"] for entry in contracts_json()}
    plan = plan_workflow(workflow(task("d", "delete", "watermark")))
    assert plan.tasks["watermark"].implicit
    assert plan.tasks["watermark"].params.model_dump() == {"text": "draft"}
    with pytest.raises(ContractError, match="already registered"):
        register(watermark)
    assert register(watermark, replace=True) is watermark


@pytest.mark.parametrize(
    ("contract", "fragment"),
    [
        (ActionContract("bad name", "d", _WatermarkParams, {}), "action name"),
        (ActionContract("loose", "d", _LooseParams, {}), "extra='forbid'"),
        (ActionContract("notmodel", "d", dict, {}), "pydantic model"),  # type: ignore[arg-type]
    ],
)
def test_malformed_contracts_are_refused(contract: ActionContract, fragment: str) -> None:
    with pytest.raises(ContractError, match=fragment):
        register(contract)
    assert contract.name not in ACTIONS


def test_custom_registry_can_be_passed() -> None:
    only_sfw = {"sfw": ACTIONS["sfw"]}
    with pytest.raises(WorkflowValidationError, match="known actions: sfw$"):
        validate_workflow(parse_workflow(DELETE_NSFW), only_sfw)
