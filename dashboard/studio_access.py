"""Who may use the workflow studio and the jobs console: the one place that decides.

Every studio and console page and every one of their event handlers asks
:func:`can_use_studio`. The studio is for developers; until the app has accounts,
everyone who can reach the app may use it.

To hand it to an admin role once accounts exist, fill :class:`Viewer` from the signed-in
account (in ``StudioState._viewer``) and decide here, e.g.
``return viewer.signed_in and "admin" in viewer.roles``; pages then show the
"not allowed" panel and handlers do nothing for everyone else.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

#: What a refused person reads.
NOT_ALLOWED_MESSAGE = "The workflow studio and the jobs console are for the app's administrators."


class Viewer(BaseModel):
    """The person looking at the page, as far as the app knows them."""

    model_config = ConfigDict(frozen=True)

    account_id: str | None = None
    roles: frozenset[str] = Field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        """Whether the person has signed in."""
        return self.account_id is not None


ANONYMOUS = Viewer()


def can_use_studio(viewer: Viewer) -> bool:
    """Whether ``viewer`` may see and change workflows and jobs (everyone, until accounts exist)."""
    return isinstance(viewer, Viewer)
