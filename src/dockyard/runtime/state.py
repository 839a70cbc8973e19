"""The runtime's state directory: one directory per container under --root.

    <root>/<id>/state.json   what `state` reports, plus what later commands need (the
                             init's pid and start time, the cgroups path, the config)
    <root>/<id>/exec.fifo    present from `create` until `start`: the init blocks on it

Status is derived, never stored (runtime-spec runtime.md "State"): the fifo says created, the
freezer says paused, a live init (same pid *and* start time, so a recycled pid is not mistaken
for ours) says running, anything else is stopped.
"""

from __future__ import annotations

import os
import time

from dockyard import errdefs
from dockyard.utils import jsonfast as json
from dockyard.utils.record import asdict, field, record

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


DEFAULT_ROOT = "/run/dockyard-runtime"
STATE_FILE = "state.json"
FIFO = "exec.fifo"
_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.")


class Status:
    """The OCI statuses (plain strings, not an Enum: enum costs the runtime ~2 ms)."""

    CREATING = "creating"
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@record
class State:
    """What the runtime remembers about one container."""

    id: str
    bundle: str
    rootfs: str
    pid: int
    pid_start: int
    created: str
    cgroups_path: str
    oci_version: str = "1.0.2"
    owner: str = ""
    annotations: dict[str, str] = field(default_factory=dict)
    systemd_cgroup: bool = False
    config: dict[str, Any] = field(default_factory=dict)

    def public(self, status: str) -> dict[str, Any]:
        """The OCI state document (runtime-spec state-schema.json), as runc prints it."""
        doc: dict[str, Any] = {
            "ociVersion": self.oci_version,
            "id": self.id,
            "pid": self.pid if status != Status.STOPPED else 0,
            "status": status,
            "bundle": self.bundle,
            "rootfs": self.rootfs,
            "created": self.created,
            "owner": self.owner,
        }
        if self.annotations:
            doc["annotations"] = self.annotations
        return doc


def validate_id(container_id: str) -> None:
    if not container_id:
        raise errdefs.InvalidArgument("container id cannot be empty")
    # runc's ^[\w+-\.]+$, without importing re (start-up time).
    if not _ID_CHARS.issuperset(container_id) or container_id in (".", ".."):
        raise errdefs.InvalidArgument(f"invalid container id format: {container_id}")


def now_rfc3339() -> str:
    t = time.time()
    frac = f"{t % 1:.9f}"[2:]
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{frac}Z"


def proc_start_time(pid: int) -> int | None:
    """Field 22 of /proc/PID/stat (start time in clock ticks); None when gone or a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            raw = f.read()
    except OSError:
        return None
    # The comm field may contain spaces and parentheses: split after the last ')'.
    rest = raw[raw.rfind(b")") + 2 :].split()
    if rest[0] in (b"Z", b"X"):
        return None
    return int(rest[19])


class Store:
    """The --root directory; every method names the container it works on."""

    def __init__(self, root: str) -> None:
        self.root = root

    def dir(self, container_id: str) -> str:
        return os.path.join(self.root, container_id)

    def fifo(self, container_id: str) -> str:
        return os.path.join(self.root, container_id, FIFO)

    def reserve(self, container_id: str) -> str:
        """Make the container's directory; AlreadyExists when the id is taken."""
        validate_id(container_id)
        os.makedirs(self.root, mode=0o711, exist_ok=True)
        path = self.dir(container_id)
        try:
            os.mkdir(path, 0o711)
        except FileExistsError:
            raise errdefs.AlreadyExists(f"container with id exists: {container_id}") from None
        return path

    def save(self, state: State) -> None:
        """Write state.json atomically (temp file, rename). No fsync, as runc: the state dir
        lives under /run, which a crash empties anyway; readers only need all-or-nothing."""
        path = os.path.join(self.dir(state.id), STATE_FILE)
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(asdict(state), f)
        os.rename(tmp, path)

    def load(self, container_id: str) -> State:
        validate_id(container_id)
        path = os.path.join(self.dir(container_id), STATE_FILE)
        try:
            with open(path) as f:
                doc = json.load(f)
        except FileNotFoundError:
            raise errdefs.NotFound(f"container does not exist: {container_id}") from None
        except ValueError as err:
            raise errdefs.Unknown(f"corrupt state for container {container_id}: {err}") from err
        return State(**doc)

    def remove(self, container_id: str) -> None:
        path = self.dir(container_id)
        for name in (STATE_FILE, STATE_FILE + ".tmp", FIFO):
            try:
                os.unlink(os.path.join(path, name))
            except FileNotFoundError:
                pass
        try:
            os.rmdir(path)
        except FileNotFoundError:
            pass

    def ids(self) -> Iterator[str]:
        try:
            names = sorted(os.listdir(self.root))
        except FileNotFoundError:
            return
        for name in names:
            if os.path.exists(os.path.join(self.root, name, STATE_FILE)):
                yield name

    def alive(self, state: State) -> bool:
        return state.pid > 0 and proc_start_time(state.pid) == state.pid_start

    def status(self, state: State, *, frozen: bool | None = None) -> str:
        """Derive the status; `frozen` is asked of the cgroup only for live containers."""
        if not self.alive(state):
            return Status.STOPPED
        if frozen:
            return Status.PAUSED  # even a frozen created container, as runc reports it
        if os.path.exists(self.fifo(state.id)):
            return Status.CREATED
        return Status.RUNNING
