"""The studio's pure parts with pipes and triggers: the graph draws a pipe as an edge, renaming or
removing a task carries its pipes along, and a stored workflow's triggers survive an edit."""

from __future__ import annotations

from dashboard import workflow_draft as draft
from dashboard.filestack import Workflow
from dashboard.workflow_graph import graph_of

PIPED = {
    "name": "piped",
    "triggers": [{"event": "upload", "constraints": [{"type": "lt", "value": 100, "path": ["size"]}]}],
    "tasks": [
        {"id": "avatar", "action": "process", "params": {"tasks": "flip"}},
        {"id": "sfw", "action": "sfw", "input": {"task": "avatar"}},
        {
            "id": "thumb",
            "action": "process",
            "params": {"tasks": "flop"},
            "input": {"task": "avatar"},
            "requires": [{"task": "avatar", "condition": {"type": "gt", "value": 1, "path": ["width"]}}],
        },
    ],
}


def test_the_graph_draws_a_pipe_and_places_the_piped_task_after_its_source() -> None:
    nodes, edges = graph_of(PIPED)

    labels = {(edge["source"], edge["target"]): edge["label"] for edge in edges}
    assert labels == {("avatar", "sfw"): "its file", ("avatar", "thumb"): "width > 1 · its file"}
    x = {node["id"]: node["position"]["x"] for node in nodes}
    assert x["sfw"] > x["avatar"] and x["thumb"] > x["avatar"]


def test_renaming_a_task_renames_its_pipes_and_removing_it_drops_them() -> None:
    renamed = draft.set_task_id(PIPED, 0, "crop")

    assert [task.get("input") for task in renamed["tasks"]] == [None, {"task": "crop"}, {"task": "crop"}]
    assert PIPED["tasks"][1]["input"] == {"task": "avatar"}  # the argument is left alone
    removed = draft.remove_task(renamed, 0)
    assert [task.get("input") for task in removed["tasks"]] == [None, None]
    assert removed["tasks"][1]["requires"] == []


def test_a_stored_workflows_triggers_and_pipes_survive_into_the_editor() -> None:
    stored = Workflow.model_validate({**PIPED, "id": "w-1", "uuid": "w-1"})

    definition = stored.definition()

    assert definition["triggers"] == PIPED["triggers"]
    assert definition["tasks"][1]["input"] == {"task": "avatar"}
    assert draft.normalized(definition)["triggers"] == PIPED["triggers"]
