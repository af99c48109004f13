"""The workflows page's words: which slot runs a workflow, each task's parameters and conditions."""

from __future__ import annotations

from dashboard.filestack.workflow_models import Workflow
from dashboard.filestack_protocol.grammar import Task, parse_chain
from dashboard.workflow_summary import RUNS_WHEN_STARTED, params_text, requires_text, slot_use, task_lines

PROFILE, COVER = "profile-id", "cover-id"


def test_the_slots_workflows_are_named_and_the_others_run_only_when_started() -> None:
    assert slot_use(PROFILE, PROFILE, COVER).slot == "Profile picture"
    assert slot_use(COVER, PROFILE, COVER).text == "Runs on every cover photo upload"
    other = slot_use("another", PROFILE, COVER)
    assert other.slot == "" and other.text == RUNS_WHEN_STARTED == "Runs only when started"


def test_a_processing_chain_reads_as_steps_and_other_params_as_pairs() -> None:
    workflow = Workflow.model_validate(
        {
            "id": "w",
            "name": "Avatars",
            "tasks": [
                {"id": "sfw", "action": "sfw"},
                {
                    "id": "avatar",
                    "action": "process",
                    "params": {
                        "tasks": 'rotate=deg:exif/no_metadata/resize=width:400,fit:crop/store=path:"avatars/"'
                    },
                    "requires": [
                        {"task": "sfw", "condition": {"type": "equals", "value": True, "path": ["sfw"]}}
                    ],
                },
                {
                    "id": "big",
                    "action": "store",
                    "params": {"location": "s3", "access": "public"},
                    "requires": [{"task": "tags"}, {"task": "sfw", "condition": {"type": "gt", "value": 50}}],
                },
            ],
        }
    )
    lines = task_lines(workflow)
    assert [line.id for line in lines] == ["sfw", "avatar", "big"]
    assert lines[0].params == "" and lines[0].requires == ""
    assert lines[1].params == (
        "rotate (deg exif) → no metadata → resize (width 400, fit crop) → store (path avatars/)"
    )
    assert lines[1].requires == "after sfw, if sfw is yes"
    assert lines[2].params == "location s3, access public"
    assert lines[2].requires == "after tags; after sfw, if its result is more than 50"


def test_a_chain_that_does_not_parse_is_shown_as_written() -> None:
    workflow = Workflow.model_validate(
        {
            "id": "w",
            "name": "x",
            "tasks": [{"id": "p", "action": "process", "params": {"tasks": "resize=width:4,width:5"}}],
        }
    )
    assert params_text(workflow.tasks[0]) == "tasks resize=width:4,width:5"
    assert requires_text(workflow.tasks[0]) == ""


def test_parse_chain_reads_each_task_of_a_chain() -> None:
    assert parse_chain('resize=width:400/store=path:"a/b/"') == [
        Task("resize", {"width": 400}),
        Task("store", {"path": "a/b/"}),
    ]
    assert parse_chain("flip/") == [Task("flip")]
