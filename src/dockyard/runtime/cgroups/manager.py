"""The cgroup manager interface the runtime drives, and the factory that picks v1 or v2.

Lifecycle, as `dockyard-runtime create/start/exec/pause/delete` use it:

    m = new_manager(cgroups_path=spec["linux"].get("cgroupsPath", ""), container_id=cid)
    m.create()                        # directories in every hierarchy
    m.set(spec["linux"]["resources"]) # limits, before the container's process runs anything
    m.add(init_pid)                   # the container's init, before it execs the user process
    m.mount(rootfs + "/sys/fs/cgroup", flags=..., cgroupns=...)  # from inside the container
    m.paths()                         # saved in the state dir; `exec` joins these
    m.freeze() / m.thaw() / m.frozen()                            # pause / resume / state
    m.pids()                          # kill --all, ps
    m.destroy()                       # delete, after every process has exited

A manager holds only paths, no open files or processes: a later runtime invocation rebuilds
an equal one from the same cgroupsPath and container id.
"""

from __future__ import annotations

import os

from dockyard import errdefs
from dockyard.runtime.cgroups.paths import Hierarchies, inner_path

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol


SYSTEMD_RUNNING = "/run/systemd/system"
"""sd_booted(3): this directory exists only when systemd is PID 1's init."""


if TYPE_CHECKING:
    # A Protocol only type checkers need: typing stays out of the runtime's start-up.
    class Manager(Protocol):
        """One container's cgroup, in every hierarchy the host mounts."""

        def create(self) -> None:
            """mkdir -p the container's cgroup everywhere (v1 cpuset: cpus/mems from the parent)."""

        def add(self, pid: int) -> None:
            """Move process `pid` into the container's cgroup in every hierarchy."""

        def set(self, resources: Mapping[str, Any]) -> None:
            """Apply an OCI linux.resources object (the whole object: absent devices mean none)."""

        def pids(self) -> list[int]:
            """Every pid in the container's cgroup and its child cgroups."""

        def freeze(self) -> None:
            """Freeze every process in the cgroup; returns once the kernel reports them frozen."""

        def thaw(self) -> None:
            """Let frozen processes run again."""

        def frozen(self) -> bool:
            """Whether the container's cgroup itself is frozen (not merely an ancestor)."""

        def exists(self) -> bool:
            """Whether the container's cgroup directory exists."""

        def destroy(self) -> None:
            """Remove the cgroup and child cgroups; idempotent; never kills a process."""

        def paths(self) -> dict[str, str]:
            """Controller ("memory", "name=systemd", "unified") -> the container's directory."""

        def mount(self, dest: str, *, flags: int, cgroupns: bool) -> None:
            """Make the OCI "cgroup" mount at `dest`, from inside the container's mount namespace.

            `dest` is an existing directory (host path inside the rootfs); `flags` are MS_* bits;
            with `cgroupns` the caller has already entered the container's cgroup namespace.
            """


def new_manager(
    *,
    cgroups_path: str,
    container_id: str,
    systemd: bool = False,
    hierarchies: Hierarchies | None = None,
) -> Manager:
    """The manager for a container's cgroup, for the cgroup version this host runs.

    `cgroups_path` is the spec's linux.cgroupsPath ("" for "<own cgroup>/<container_id>");
    `hierarchies` defaults to what /proc says, and tests pass a fake tree's instead.
    """
    if systemd:
        check_systemd_driver()
    inner = inner_path(cgroups_path=cgroups_path, container_id=container_id)
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    # Imported here so `dockyard-runtime state` and friends load only the version they use.
    if found.unified_mode and found.unified is not None:
        from dockyard.runtime.cgroups.v2 import V2Manager

        return V2Manager(hierarchy=found.unified, inner=inner)
    if not found.v1:
        raise errdefs.FailedPrecondition("no cgroup hierarchy is mounted (/proc/self/mountinfo)")
    from dockyard.runtime.cgroups.v1 import V1Manager

    return V1Manager(hierarchies=found, inner=inner)


def check_systemd_driver(marker: str = SYSTEMD_RUNNING) -> None:
    """Refuse the systemd cgroup driver: we have none, and say so plainly."""
    if not os.path.isdir(marker):
        raise errdefs.FailedPrecondition(
            "systemd cgroup driver: systemd is not running on this host"
        )
    raise errdefs.FailedPrecondition("systemd cgroup driver is not supported yet")


def prime() -> None:
    """Start, in a background thread, a no-op move of this process into its own cgroup.

    Moving a process between cgroups takes the kernel's global cgroup_threadgroup_rwsem for
    writing, and the first writer after a quiet period waits a whole RCU grace period
    (~10-15 ms here) in rcu_sync_enter(); writers in the few milliseconds after that one are
    fast. `create` calls this first thing, so the grace period passes while Python imports
    and parses config.json, and the real move of the container's init a few milliseconds
    later costs ~0.1 ms instead. Any failure is ignored: the real move still works, slowly.
    """
    import _thread

    _thread.start_new_thread(_noop_move, ())


def _noop_move() -> None:
    # Plain syscalls only, no mountinfo parsing: this thread must not hold the GIL while the
    # main thread imports (a held GIL costs the main thread up to a 5 ms switch interval).
    try:
        with open("/proc/self/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return
    pid = str(os.getpid())
    for line in lines:
        _, controllers, path = line.split(":", 2)
        name = controllers.removeprefix("name=").split(",")[0]
        for root in (f"/sys/fs/cgroup/{name}", "/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            if name or root != f"/sys/fs/cgroup/{name}":
                try:
                    with open(f"{root}{path}/cgroup.procs", "w") as f:
                        f.write(pid)
                    return
                except OSError:
                    continue
