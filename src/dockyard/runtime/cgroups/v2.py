"""The cgroup v2 manager, for hosts where cgroup2 is the only hierarchy.

runc's libcontainer/cgroups/fs2: one directory; controllers are enabled on the way down
(cgroup.subtree_control of every ancestor), the freezer is cgroup.freeze with cgroup.events
telling when the freeze is complete.
"""

from __future__ import annotations

import os
import time

from dockyard import errdefs
from dockyard.runtime.cgroups import files, v2_resources
from dockyard.runtime.cgroups.paths import UNIFIED, Hierarchy
from dockyard.runtime.cgroups.resources import parse_resources
from dockyard.runtime.runlog import get_logger

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


log = get_logger(__name__)

FREEZE_TIMEOUT = 10.0
"""Seconds freeze() waits for cgroup.events to say "frozen 1" (runc: 1000 x 10ms)."""


class V2Manager:
    """One container's cgroup on a pure cgroup v2 host (implements `Manager`)."""

    def __init__(self, *, hierarchy: Hierarchy, inner: str) -> None:
        self._top = hierarchy.mountpoint
        self._dir = hierarchy.container_dir(inner, beside_own=True)

    def create(self) -> None:
        created: list[str] = []
        parent = self._top
        try:
            for part in os.path.relpath(self._dir, self._top).split("/"):
                _enable_controllers(parent)
                current = os.path.join(parent, part)
                if not os.path.isdir(current):
                    files.makedirs(current)
                    created.append(current)
                parent = current
        except errdefs.DockyardError:
            # Leave nothing behind that we made (runc's CreateCgroupPath does the same).
            for d in reversed(created):
                files.remove_tree(d)
            raise

    def add(self, pid: int) -> None:
        files.write_pid(self._dir, pid)

    def set(self, resources: Mapping[str, Any]) -> None:
        res = parse_resources(resources)
        controllers = files.read(self._dir, "cgroup.controllers").split()
        v2_resources.apply(self._dir, res, controllers=controllers)

    def pids(self) -> list[int]:
        return files.tree_pids(self._dir)

    def freeze(self) -> None:
        if not files.exists(self._dir, "cgroup.freeze"):
            if not os.path.isdir(self._dir):
                raise errdefs.NotFound(f"no such cgroup: {self._dir}")
            raise errdefs.FailedPrecondition(
                f"cannot freeze {self._dir}: no cgroup.freeze (the v2 freezer needs Linux 5.2)"
            )
        files.write(self._dir, "cgroup.freeze", "1")
        if not self._wait_frozen(FREEZE_TIMEOUT):
            files.write(self._dir, "cgroup.freeze", "0")
            raise errdefs.Conflict(
                f"failed to freeze {self._dir}: cgroup.events did not report frozen "
                f"within {FREEZE_TIMEOUT:g}s"
            )

    def thaw(self) -> None:
        # runc: without cgroup.freeze nothing can be frozen, so thawing is a no-op.
        if files.exists(self._dir, "cgroup.freeze"):
            files.write(self._dir, "cgroup.freeze", "0")

    def frozen(self) -> bool:
        if not files.exists(self._dir, "cgroup.freeze"):
            return False
        if files.read(self._dir, "cgroup.freeze") != "1":
            return False
        # Asked to freeze; report frozen once the kernel has finished (runc's readFreezer).
        return self._wait_frozen(FREEZE_TIMEOUT)

    def exists(self) -> bool:
        return os.path.isdir(self._dir)

    def destroy(self) -> None:
        files.remove_all([self._dir])

    def paths(self) -> dict[str, str]:
        return {UNIFIED: self._dir}

    def mount(self, dest: str, *, flags: int, cgroupns: bool) -> None:
        from dockyard.runtime.cgroups.mount import mount_v2

        mount_v2(dest, self._dir, flags=flags, cgroupns=cgroupns)

    def _wait_frozen(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            events = files.read(self._dir, "cgroup.events").splitlines()
            if "frozen 1" in (line.strip() for line in events):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.01)


def _enable_controllers(d: str) -> None:
    """Enable in d's children every controller d has (cgroup.subtree_control).

    Failures are ignored as in runc: a cgroup with processes of its own cannot enable domain
    controllers (EBUSY), a delegated subtree may forbid it; set() then names the controller
    that is missing instead of failing here for one the container might not use.
    """
    available = files.read(d, "cgroup.controllers").split()
    enabled = set(files.read(d, "cgroup.subtree_control").split())
    missing = [c for c in available if c not in enabled]
    if not missing:
        return
    try:
        files.write_raw(d, "cgroup.subtree_control", " ".join(f"+{c}" for c in missing))
        return
    except OSError:
        pass
    for c in missing:  # one by one, so one refusal does not cost the others
        try:
            files.write_raw(d, "cgroup.subtree_control", f"+{c}")
        except OSError as err:
            log.debug("cannot enable %s in %s: %s", c, d, err.strerror)
