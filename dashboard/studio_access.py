"""Who may use the workflow studio and the jobs console: the one place that decides.

Every studio and console page and every one of their event handlers asks
:func:`can_use_studio` (through ``StudioState``). The studio is for the app's
administrators: the first account ever created, and the accounts ``ADMIN_USERNAMES``
names. Someone signed out is sent to sign in; someone signed in without the role sees
the "not allowed" page, and their handlers change nothing.
"""

from __future__ import annotations

from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, Field

from dashboard.accounts import SignedIn

#: The role the studio and the console need.
ADMIN = "admin"
#: What a refused person reads.
NOT_ALLOWED_MESSAGE = (
    "The workflow studio and the jobs console are for the app's administrators. "
    "Ask one to add your username to ADMIN_USERNAMES."
)


class Viewer(BaseModel):
    """The person looking at the page, as far as the app knows them."""

    model_config = ConfigDict(frozen=True)

    account_id: str | None = None
    username: str = ""
    roles: frozenset[str] = Field(default_factory=frozenset)

    @property
    def signed_in(self) -> bool:
        """Whether the person has signed in."""
        return self.account_id is not None


ANONYMOUS = Viewer()


def viewer_of(account: SignedIn | None, admin_usernames: Collection[str]) -> Viewer:
    """The viewer a signed-in account (or nobody) is, with the admin role when it has it."""
    if account is None:
        return ANONYMOUS
    admin = account.is_admin or account.username.lower() in admin_usernames
    return Viewer(
        account_id=str(account.account_id),
        username=account.username,
        roles=frozenset({ADMIN}) if admin else frozenset(),
    )


def can_use_studio(viewer: Viewer) -> bool:
    """Whether ``viewer`` may see and change workflows and jobs: signed in, with the admin role."""
    return viewer.signed_in and ADMIN in viewer.roles
