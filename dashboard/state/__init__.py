"""Reflex state classes, one per concern."""

from dashboard.state.activity import ActivityState
from dashboard.state.photo import AvatarState, CoverState
from dashboard.state.profile import ProfileState

__all__ = ["ActivityState", "AvatarState", "CoverState", "ProfileState"]
