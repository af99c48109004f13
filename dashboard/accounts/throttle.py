"""How long a sign-in must wait after failures (pure, no I/O).

Failures are counted per key (a username, a client address) within a sliding window.
Once a key has ``max_failures`` failures in the window, it waits ``lockout_s`` from its
last failure; the wait is shown to the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class ThrottleRule:
    """The sign-in throttle's three numbers (from the settings)."""

    max_failures: int
    window_s: float
    lockout_s: float


def wait_seconds(failures: Iterable[float], now: float, rule: ThrottleRule) -> float:
    """Seconds a key must still wait before its next sign-in attempt (0 when it may try)."""
    recent = sorted(t for t in failures if now - rule.window_s < t <= now)
    if len(recent) < rule.max_failures:
        return 0.0
    return max(0.0, recent[-1] + rule.lockout_s - now)


def wait_text(seconds: float) -> str:
    """``4 min 5 s``-style waits for messages (whole seconds, rounded up)."""
    total = max(1, int(-(-seconds // 1)))
    minutes, secs = divmod(total, 60)
    if minutes and secs:
        return f"{minutes} min {secs} s"
    return f"{minutes} min" if minutes else f"{secs} s"
