"""A container's state: Docker's Status values, the moves between them, and the State document.

created -> running <-> paused
running -> exited | restarting -> running ...
created | exited -> running            (start)
any -> removing -> (gone) | dead       (rm; dead when removal failed half way)
"""

from __future__ import annotations

import enum
from typing import Any

from dockyard import errdefs

ZERO_TIME = "0001-01-01T00:00:00Z"  # Go's zero time.Time, as Docker prints never-set times


class Status(enum.Enum):
    """Docker's State.Status strings."""

    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    RESTARTING = "restarting"
    REMOVING = "removing"
    EXITED = "exited"
    DEAD = "dead"

    def can_start(self) -> bool:
        return self in (Status.CREATED, Status.EXITED, Status.RESTARTING)

    def is_live(self) -> bool:
        """A process exists (running or frozen)."""
        return self in (Status.RUNNING, Status.PAUSED)


_MOVES: dict[Status, frozenset[Status]] = {
    Status.CREATED: frozenset({Status.RUNNING, Status.REMOVING, Status.EXITED}),
    Status.RUNNING: frozenset({Status.PAUSED, Status.EXITED, Status.RESTARTING, Status.REMOVING}),
    Status.PAUSED: frozenset({Status.RUNNING, Status.EXITED, Status.REMOVING}),
    Status.RESTARTING: frozenset({Status.RUNNING, Status.EXITED, Status.REMOVING}),
    Status.EXITED: frozenset({Status.RUNNING, Status.RESTARTING, Status.REMOVING}),
    Status.REMOVING: frozenset({Status.DEAD, Status.EXITED, Status.CREATED}),
    Status.DEAD: frozenset({Status.REMOVING}),
}


def transition(current: Status, new: Status) -> Status:
    """The one place a status changes; FailedPrecondition for a move Docker never makes."""
    if new is not current and new not in _MOVES[current]:
        raise errdefs.FailedPrecondition(
            f"invalid container state transition: {current.value} -> {new.value}"
        )
    return new


class State:
    """The mutable State of one container (ContainerState in the API); guarded by the
    container's lock."""

    def __init__(self) -> None:
        self.status = Status.CREATED
        self.pid = 0
        self.exit_code = 0
        self.error = ""
        self.oom_killed = False
        self.started_at = ZERO_TIME
        self.finished_at = ZERO_TIME
        self.health: dict[str, Any] | None = None  # {"Status", "FailingStreak", "Log"}

    def move(self, new: Status) -> None:
        self.status = transition(self.status, new)

    def set_running(self, *, pid: int, started_at: str) -> None:
        self.move(Status.RUNNING)
        self.pid, self.started_at = pid, started_at
        self.exit_code, self.error, self.oom_killed = 0, "", False

    def set_exited(
        self, *, exit_code: int, finished_at: str, oom_killed: bool = False, error: str = ""
    ) -> None:
        self.move(Status.EXITED)
        self.pid, self.exit_code, self.finished_at = 0, exit_code, finished_at
        self.oom_killed, self.error = oom_killed, error  # Health stays as it was (moby)

    def doc(self) -> dict[str, Any]:
        """ContainerState as `docker inspect` prints it."""
        doc: dict[str, Any] = {
            "Status": self.status.value,
            # Docker keeps Running true while paused and while restarting (SetRestarting)
            "Running": self.status in (Status.RUNNING, Status.PAUSED, Status.RESTARTING),
            "Paused": self.status is Status.PAUSED,
            "Restarting": self.status is Status.RESTARTING,
            "OOMKilled": self.oom_killed,
            "Dead": self.status is Status.DEAD,
            "Pid": self.pid,
            "ExitCode": self.exit_code,
            "Error": self.error,
            "StartedAt": self.started_at,
            "FinishedAt": self.finished_at,
        }
        if self.health is not None:
            doc["Health"] = self.health
        return doc

    def to_json(self) -> dict[str, Any]:
        return {"doc": self.doc()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> State:
        doc = data["doc"]
        state = cls()
        state.status = Status(doc["Status"])
        state.pid = doc["Pid"]
        state.exit_code = doc["ExitCode"]
        state.error = doc["Error"]
        state.oom_killed = doc["OOMKilled"]
        state.started_at = doc["StartedAt"]
        state.finished_at = doc["FinishedAt"]
        state.health = doc.get("Health")
        return state
