"""Docker's restart policies (moby restartmanager): which exits restart, and how long to wait.

no              never
always          every exit (a `docker stop` cancels it until the next daemon start)
unless-stopped  every exit unless the container was stopped by the user
on-failure[:N]  a non-zero exit, at most N times (0 = no limit)
"""

from __future__ import annotations

from typing import Any

_INITIAL = 0.1  # seconds
_MAX = 60.0
_RESET_AFTER_NS = 10 * 10**9  # a run of 10 s or more resets the back-off


def should_restart(
    policy: dict[str, Any], *, exit_code: int, manually_stopped: bool, restart_count: int
) -> bool:
    """moby's ShouldRestart, also used at daemon start (container.ShouldRestart)."""
    name = policy.get("Name") or "no"
    if name == "always":
        return True
    if name == "unless-stopped":
        return not manually_stopped
    if name == "on-failure":
        limit = int(policy.get("MaximumRetryCount") or 0)
        return exit_code != 0 and (limit == 0 or restart_count < limit)
    return False


class Backoff:
    """The delay before the next restart: 100 ms, doubling to 1 min, reset by a 10 s run."""

    def __init__(self) -> None:
        self.timeout = 0.0

    def next(self, ran_ns: int) -> float:
        if ran_ns >= _RESET_AFTER_NS:
            self.timeout = 0.0
        self.timeout = _INITIAL if self.timeout == 0 else min(self.timeout * 2, _MAX)
        return self.timeout
