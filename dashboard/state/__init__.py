"""Reflex state classes, one per concern. Every one that acts for a person is a :class:`SessionState`."""

from dashboard.state.account import AccountState
from dashboard.state.activity import ActivityState
from dashboard.state.photo import AvatarState, CoverState
from dashboard.state.profile import ProfileState
from dashboard.state.public import PublicProfileState
from dashboard.state.session import SessionState

__all__ = [
    "AccountState",
    "ActivityState",
    "AvatarState",
    "CoverState",
    "ProfileState",
    "PublicProfileState",
    "SessionState",
]
