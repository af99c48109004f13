"""Placing the Workflows API's error messages in the body that was sent (no I/O)."""

from __future__ import annotations

from dashboard.filestack import locate_problems

BODY = {
    "name": "x",
    "tasks": [
        {"id": "scan", "action": "sfw"},
        {
            "id": "thumb",
            "action": "process",
            "params": {"tasks": ""},
            "requires": [{"task": "scan"}, {"task": "tags"}],
        },
    ],
}


def _keys(message: str, body=BODY) -> dict[str, str]:
    return {problem.key: problem.message for problem in locate_problems(message, body)}


def test_several_shape_problems_each_find_their_field() -> None:
    found = _keys(
        "invalid workflow: name: name must not be empty; "
        "task 'thumb' (tasks[1]): requires[1].condition.type: Input should be 'gt' (got 'x')"
    )
    assert found == {
        "name": "name must not be empty",
        "tasks.1.requires.1.condition.type": "Input should be 'gt' (got 'x')",
    }


def test_params_problems_land_on_each_param() -> None:
    found = _keys(
        "task 'thumb': invalid params for action 'process': tasks: tasks must not be an empty string"
    )
    assert found == {"tasks.1.params.tasks": "tasks must not be an empty string"}


def test_an_implicit_task_with_bad_defaults_is_blamed_on_the_requirement() -> None:
    found = _keys(
        "task 'tags': invalid params for action 'tags' "
        "(required by 'thumb', run implicitly with default params): "
        "level: Field required"
    )
    assert (
        list(found) == ["tasks.1.requires.1.task"]
        and "level: Field required" in found["tasks.1.requires.1.task"]
    )


def test_a_task_without_an_id_is_found_by_its_action() -> None:
    body = {"name": "x", "tasks": [{"action": "store", "params": {"location": "moon"}}]}
    found = _keys(
        "task 'store': invalid params for action 'store': location: Input should be 's3' (got 'moon')", body
    )
    assert found == {"tasks.0.params.location": "Input should be 's3' (got 'moon')"}


def test_messages_it_cannot_place_belong_to_the_whole_workflow() -> None:
    assert _keys("a JSON body is required") == {"": "a JSON body is required"}
    assert _keys("task 'ghost': unknown action 'boo'; known actions: sfw") == {
        "": "task 'ghost': unknown action 'boo'; known actions: sfw"
    }
