"""The cgroup v1 manager, also used on hybrid hosts (v1 controllers beside a cgroup2 mount).

runc's libcontainer/cgroups/fs: the container gets a directory in every mounted hierarchy.
Resource controllers must work. The named hierarchies (name=systemd) and a hybrid host's
cgroup2 hierarchy are joined best-effort, as runc's NameGroup joins them: a failure there is
logged, not raised, because no limit depends on them.
"""

from __future__ import annotations

import os
import time

from dockyard import errdefs
from dockyard.runtime.cgroups import files, v1_resources
from dockyard.runtime.cgroups.paths import UNIFIED, Hierarchies, Hierarchy
from dockyard.runtime.cgroups.resources import parse_resources
from dockyard.runtime.runlog import get_logger

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any


log = get_logger(__name__)


class V1Manager:
    """One container's cgroup on a cgroup v1 host (implements `Manager`)."""

    def __init__(self, *, hierarchies: Hierarchies, inner: str) -> None:
        if hierarchies.find("devices") is None:
            # runc treats a missing devices hierarchy as fatal, for security: without it the
            # container could open every device node it can create.
            raise errdefs.FailedPrecondition(
                "the cgroup v1 devices controller is not mounted; refusing to run a container "
                "without device restrictions"
            )
        self._dirs: list[tuple[Hierarchy, str]] = []
        extra = [hierarchies.unified] if hierarchies.unified is not None else []
        for h in [*hierarchies.v1, *extra]:
            try:
                self._dirs.append((h, h.container_dir(inner)))
            except errdefs.FailedPrecondition as err:
                if _essential(h):
                    raise
                log.warning("skipping cgroup hierarchy %s: %s", h.mountpoint, err)

    def create(self) -> None:
        for h, d in self._dirs:
            try:
                if "cpuset" in h.controllers:
                    _create_cpuset(h.mountpoint, d)
                else:
                    files.makedirs(d)
            except errdefs.DockyardError as err:
                if _essential(h):
                    raise
                log.warning("failed to create cgroup %s (ignored, as runc does): %s", d, err)

    def add(self, pid: int) -> None:
        for h, d in self._dirs:
            try:
                files.write_pid(d, pid)
            except errdefs.DockyardError as err:
                if _essential(h):
                    raise
                log.warning("failed to add pid %d to %s (ignored, as runc does): %s", pid, d, err)

    def set(self, resources: Mapping[str, Any]) -> None:
        v1_resources.apply(self._controller_dirs(), parse_resources(resources))

    def pids(self) -> list[int]:
        return files.tree_pids(self._dir("devices"))

    def freeze(self) -> None:
        d = self._dir("freezer")
        try:
            _freeze(d)
        except BaseException:
            # A cgroup left FREEZING or half-frozen is worse than a failed pause (runc too).
            try:
                files.write(d, "freezer.state", "THAWED")
            except errdefs.DockyardError as err:
                log.warning("failed to thaw %s after a failed freeze: %s", d, err)
            raise

    def thaw(self) -> None:
        files.write(self._dir("freezer"), "freezer.state", "THAWED")

    def frozen(self) -> bool:
        d = next((d for h, d in self._dirs if "freezer" in h.controllers), None)
        if d is None or not os.path.isdir(d):
            return False
        for _ in range(1000):
            state = files.read(d, "freezer.state")
            if state == "THAWED":
                return False
            if state == "FROZEN":
                # FROZEN is also what a cgroup under a frozen ancestor reads; only
                # self_freezing says whether this one was frozen (runc's GetState).
                if not files.exists(d, "freezer.self_freezing"):
                    return True
                return files.read(d, "freezer.self_freezing") == "1"
            time.sleep(0.001)  # FREEZING: wait for a stable answer
        return False

    def exists(self) -> bool:
        return os.path.isdir(self._dir("devices"))

    def destroy(self) -> None:
        files.remove_all(list(dict.fromkeys(d for _, d in self._dirs)))

    def paths(self) -> dict[str, str]:
        out = {}
        for h, d in self._dirs:
            for name in h.controllers if h.version == 1 else (UNIFIED,):
                out[name] = d
        return out

    def mount(self, dest: str, *, flags: int, cgroupns: bool) -> None:
        from dockyard.runtime.cgroups.mount import V1Bind, mount_v1

        binds = [V1Bind(h.name, h.controllers, d) for h, d in self._dirs if h.version == 1]
        mount_v1(dest, binds, flags=flags, cgroupns=cgroupns)

    def _controller_dirs(self) -> dict[str, str]:
        return {c: d for h, d in self._dirs if _essential(h) for c in h.controllers}

    def _dir(self, controller: str) -> str:
        for h, d in self._dirs:
            if controller in h.controllers:
                return d
        raise errdefs.FailedPrecondition(
            f"the {controller} cgroup controller is not mounted on this host"
        )


def _essential(h: Hierarchy) -> bool:
    """Whether failing in this hierarchy must fail the operation (it carries controllers)."""
    return h.version == 1 and not h.named


def _create_cpuset(mountpoint: str, d: str) -> None:
    """mkdir -p in the cpuset hierarchy, giving each new level its parent's cpus and mems.

    A v1 cpuset cgroup starts with empty cpuset.cpus/mems (unless cgroup.clone_children is
    set) and refuses tasks until both are set (ENOSPC); runc's cpusetEnsureParent copies them.
    """
    parent = mountpoint
    for part in os.path.relpath(d, mountpoint).split("/"):
        current = os.path.join(parent, part)
        files.makedirs(current)
        for name in ("cpuset.cpus", "cpuset.mems"):
            if not files.read(current, name):
                files.write(current, name, files.read(parent, name))
        parent = current


def _freeze(d: str) -> None:
    """Write FROZEN until freezer.state reads FROZEN (runc's FreezerGroup.Set).

    A v1 cgroup can stay FREEZING while new tasks keep arriving (fork, exec joining), so runc
    rewrites FROZEN in a loop, thawing briefly every 50 tries to let stragglers settle.
    """
    for i in range(1000):
        if i % 50 == 49:
            files.write(d, "freezer.state", "THAWED")
            time.sleep(0.01)
        files.write(d, "freezer.state", "FROZEN")
        if i % 25 == 24:
            time.sleep(0.00001)
        state = files.read(d, "freezer.state")
        if state == "FROZEN":
            return
        if state != "FREEZING":
            raise errdefs.FailedPrecondition(
                f"unexpected freezer state {state} in {d}/freezer.state while freezing"
            )
    raise errdefs.Conflict(f"failed to freeze {d}: the cgroup stayed FREEZING")
