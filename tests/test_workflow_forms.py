"""Forms from action contracts, the draft's edits, the editor's rows and the graph (no I/O)."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel, ConfigDict, Field
from studio_support import studio_service

from dashboard import workflow_draft as draft
from dashboard.workflow_editor_view import editor_view
from dashboard.workflow_forms import (
    ABSENT,
    FieldKind,
    fields_of,
    loose_value,
    path_from_text,
    text_of_loose,
    text_of_path,
    value_from_text,
)
from dashboard.workflow_graph import graph_of, requirement_text


class WatermarkParams(BaseModel):
    """Stamp a mark on the photo."""

    model_config = ConfigDict(extra="forbid")

    opacity: int = Field(default=80, ge=0, le=100, description="how opaque the mark is, in percent")
    scale: float = Field(gt=0, lt=1, description="size of the mark relative to the photo")
    corner: str = Field(default="bottom-right", json_schema_extra={"enum": ["top-left", "bottom-right"]})
    tiled: bool = False
    text: str | None = None
    offsets: list[int] = Field(default_factory=list)


def _service_contracts(data_dir) -> dict[str, dict]:
    """The action contracts as the embedded service answers ``GET /tasks``."""

    async def read() -> dict[str, dict]:
        async with studio_service(data_dir) as running, running.open_client() as fs:
            return {c.name: c.model_dump(mode="json") for c in await fs.workflows_api.action_contracts()}

    return asyncio.run(read())


@pytest.fixture(scope="module")
def contracts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    return _service_contracts(tmp_path_factory.mktemp("contracts"))


def test_fields_carry_types_choices_ranges_defaults_and_help() -> None:
    fields = {f.name: f for f in fields_of(WatermarkParams.model_json_schema())}
    opacity = fields["opacity"]
    assert opacity.kind is FieldKind.INTEGER and (opacity.minimum, opacity.maximum) == (0, 100)
    assert opacity.range_text == "0–100" and opacity.default == 80 and opacity.placeholder == "default: 80"
    assert opacity.help == "how opaque the mark is, in percent" and not opacity.required
    scale = fields["scale"]
    assert scale.kind is FieldKind.NUMBER and scale.required and scale.range_text == "0–1"
    assert fields["corner"].kind is FieldKind.CHOICE and fields["corner"].choices == (
        "top-left",
        "bottom-right",
    )
    assert fields["tiled"].kind is FieldKind.BOOLEAN and fields["tiled"].default is False
    assert fields["text"].kind is FieldKind.TEXT and fields["text"].nullable
    assert fields["offsets"].kind is FieldKind.JSON


def test_the_services_own_contracts_become_forms(contracts) -> None:
    store = {f.name: f for f in fields_of(contracts["store"]["params"])}
    assert store["location"].kind is FieldKind.CHOICE and store["location"].default == "s3"
    assert store["access"].choices == ("private", "public")
    (tasks,) = fields_of(contracts["process"]["params"])
    assert tasks.kind is FieldKind.TEXT and tasks.accepts_json and tasks.required
    assert fields_of(contracts["sfw"]["params"]) == []


@pytest.mark.parametrize(
    ("name", "text", "value"),
    [
        ("opacity", "40", 40),
        ("opacity", "lots", "lots"),  # kept, so the API names the problem at this field
        ("opacity", "  ", ABSENT),
        ("scale", "0.5", 0.5),
        ("tiled", "true", True),
        ("corner", "top-left", "top-left"),
        ("offsets", "[1, 2]", [1, 2]),
        ("text", "null", None),
    ],
)
def test_field_text_becomes_the_json_sent(name: str, text: str, value: object) -> None:
    fields = {f.name: f for f in fields_of(WatermarkParams.model_json_schema())}
    assert value_from_text(fields[name], text) == value or value_from_text(fields[name], text) is value


def test_a_processing_chain_may_be_text_or_a_list_of_steps(contracts) -> None:
    (tasks,) = fields_of(contracts["process"]["params"])
    assert value_from_text(tasks, "resize=width:100") == "resize=width:100"
    assert value_from_text(tasks, '[{"name": "flip"}]') == [{"name": "flip"}]


def test_condition_values_and_paths_round_trip_through_text() -> None:
    for value in (50, 0.5, True, None, "cat", "50", ["a", 1], {"k": "v"}):
        assert loose_value(text_of_loose(value)) == value
    assert path_from_text("x.0.y") == ["x", 0, "y"] and text_of_path(["x", 0, "y"]) == "x.0.y"
    assert path_from_text('["a.b", "0"]') == ["a.b", "0"] and text_of_path(["a.b", "0"]) == '["a.b", "0"]'
    assert path_from_text("") is None


def test_draft_edits_keep_ids_unique_and_requirements_connected() -> None:
    body = draft.add_task(draft.add_task(draft.empty_draft("w"), "sfw"), "sfw")
    assert draft.task_ids(body) == ["sfw", "sfw_2"]
    body = draft.add_requirement(body, 1)
    assert body["tasks"][1]["requires"] == [{"task": "sfw"}]
    body = draft.set_condition_type(body, 1, 0, "gt")
    body = draft.set_condition_value(body, 1, 0, 50)
    body = draft.set_condition_path(body, 1, 0, ["nsfw"])
    renamed = draft.set_task_id(body, 0, "scan")
    assert renamed["tasks"][1]["requires"][0] == {
        "task": "scan",
        "condition": {"type": "gt", "value": 50, "path": ["nsfw"]},
    }
    assert body["tasks"][0]["id"] == "sfw"  # the argument is left alone
    gone = draft.remove_task(renamed, 0)
    assert draft.task_ids(gone) == ["sfw_2"] and gone["tasks"][0]["requires"] == []
    assert draft.set_condition_type(renamed, 1, 0, "")["tasks"][1]["requires"][0] == {"task": "scan"}
    with pytest.raises(draft.DraftError):
        draft.remove_requirement(body, 0, 3)
    with pytest.raises(draft.DraftError, match="not valid JSON"):
        draft.from_json("{name:")
    assert draft.from_json(draft.to_json(renamed)) == renamed


def test_the_editor_puts_each_problem_at_its_field(contracts) -> None:
    body = {
        "name": "",
        "tasks": [
            {"id": "keep", "action": "store", "params": {"location": "moon"}},
            {
                "id": "scan",
                "action": "sfw",
                "requires": [{"task": "keep", "condition": {"type": "gt", "value": "x"}}],
            },
        ],
    }
    problems = {
        "name": "name must not be empty",
        "tasks.0.params.location": "Input should be 's3'",
        "tasks.1.requires.0.condition.value": "condition gt needs a numeric value",
        "webhook_secret": "webhook_secret must be a non-empty string",
    }
    view = editor_view(body, contracts, problems)
    assert view.name_error == "name must not be empty"
    location = next(p for p in view.tasks[0].params if p.name == "location")
    assert location.error == "Input should be 's3'" and location.value == "moon"
    assert (
        view.tasks[1].requires[0].value_error.startswith("condition gt")
        and view.tasks[1].requires[0].value == "x"
    )
    assert view.general_error == "webhook_secret must be a non-empty string"
    assert view.tasks[1].task_options == ["keep"] and view.tasks[1].builtin_options == list(contracts)
    assert view.tasks[1].requires[0].path_hints == [
        "url",
        "handle",
        "filename",
        "size",
        "mimetype",
        "key",
        "container",
        "width",
        "height",
    ]


def test_the_graph_draws_tasks_and_labelled_requirements() -> None:
    body = {
        "name": "w",
        "tasks": [
            {
                "id": "thumb",
                "action": "process",
                "requires": [
                    {"task": "sfw", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}
                ],
            },
            {
                "id": "gone",
                "action": "delete",
                "requires": [
                    {"task": "sfw", "condition": {"type": "gt", "value": 50, "path": ["nsfw"]}},
                    {"task": "thumb"},
                ],
            },
        ],
    }
    nodes, edges = graph_of(body, {"thumb": "done", "gone": "skipped"})
    by_id = {node["id"]: node for node in nodes}
    assert set(by_id) == {"sfw", "thumb", "gone"}
    assert by_id["sfw"]["style"]["borderStyle"] == "dashed"  # implicit built-in
    assert by_id["sfw"]["position"]["x"] < by_id["thumb"]["position"]["x"] < by_id["gone"]["position"]["x"]
    assert "done" in by_id["thumb"]["data"]["label"] and by_id["thumb"]["style"]["background"] == "#ecfdf5"
    assert {(e["source"], e["target"], e["label"]) for e in edges} == {
        ("sfw", "thumb", "sfw = true"),
        ("sfw", "gone", "nsfw > 50"),
        ("thumb", "gone", "done"),
    }
    assert (
        requirement_text(
            {"task": "tags", "condition": {"type": "includes", "value": "cat", "path": ["tags", "auto"]}}
        )
        == 'tags.auto includes "cat"'
    )


def test_a_cycle_in_a_draft_is_still_drawn() -> None:
    body = {
        "name": "w",
        "tasks": [
            {"id": "a", "action": "sfw", "requires": [{"task": "b"}]},
            {"id": "b", "action": "ocr", "requires": [{"task": "a"}]},
        ],
    }
    nodes, edges = graph_of(body)
    assert {n["id"] for n in nodes} == {"a", "b"} and len(edges) == 2
