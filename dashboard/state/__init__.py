"""Reflex state classes, one per concern. Every one that acts for a person is a :class:`SessionState`
(the studio's and the console's through :class:`StudioState`); importing the package registers them all."""

from dashboard.state.account import AccountState
from dashboard.state.activity import ActivityState
from dashboard.state.jobs import JobDetailState, JobListState
from dashboard.state.photo import AvatarState, CoverState
from dashboard.state.profile import ProfileState
from dashboard.state.public import PublicProfileState
from dashboard.state.quarantine import QuarantineState
from dashboard.state.sample_run import SampleRunState
from dashboard.state.session import SessionState
from dashboard.state.studio import StudioState
from dashboard.state.workflow_editor import WorkflowEditorState
from dashboard.state.workflows import WorkflowListState

__all__ = [
    "AccountState",
    "ActivityState",
    "AvatarState",
    "CoverState",
    "JobDetailState",
    "JobListState",
    "ProfileState",
    "PublicProfileState",
    "QuarantineState",
    "SampleRunState",
    "SessionState",
    "StudioState",
    "WorkflowEditorState",
    "WorkflowListState",
]
