"""Job leases: how long a queue worker may hold a running job without saying it is alive.

A worker running a job holds a lease on it in the job store and renews it well before it
runs out; a lease that ran out means its holder is gone (a machine lost, a process group
killed) and the job may be handed to another worker. Pure values and rules, no I/O: the
store applies them in single conditional statements, the engine renews them.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

NS_PER_S = 1_000_000_000
#: Renewals (and sweeps for expired leases) per lease period: a lease survives two missed renewals.
CHECKS_PER_LEASE = 3


class LeaseTerms(BaseModel):
    """The length of a lease and how often it is renewed and swept."""

    model_config = ConfigDict(frozen=True)

    lease_s: float = Field(gt=0)

    @property
    def lease_ns(self) -> int:
        return int(self.lease_s * NS_PER_S)

    @property
    def renew_every_s(self) -> float:
        """Seconds between two renewals by the holder."""
        return self.lease_s / CHECKS_PER_LEASE

    @property
    def sweep_every_s(self) -> float:
        """Seconds between two looks for expired leases."""
        return self.lease_s / CHECKS_PER_LEASE

    def until(self, now_ns: int) -> int:
        """When a lease taken or renewed at ``now_ns`` runs out."""
        return now_ns + self.lease_ns

    def worst_handover_s(self) -> float:
        """The longest a vanished holder's job waits before it is queued again: a full lease
        after its last renewal, plus one sweep interval."""
        return self.lease_s + self.sweep_every_s


def expired(until_ns: int | None, now_ns: int) -> bool:
    """Whether a lease running until ``until_ns`` (``None``: no lease) has run out at ``now_ns``."""
    return until_ns is not None and until_ns < now_ns
