"""A running container's cgroup, seen from the daemon: where it is, and `docker update`.

The spec's `linux.cgroupsPath` is `<cgroup-parent>/<id>` (HostConfig.CgroupParent, else the
daemon's `cgroup-parent`, default /dockyard), as moby's `filepath.Join(parent, c.ID)`. It is
resolved with the runtime's own rules (`dockyard.runtime.cgroups.paths`), so the daemon finds
the directory the runtime made: /sys/fs/cgroup/<controller>/dockyard/<id> on a v1 or hybrid
host, /sys/fs/cgroup/dockyard/<id> on a pure v2 host.

`apply_update` is what `runc update` does for Docker: HostConfig resources merged as moby's
`Container.UpdateContainer` merges them (with its conflict messages), then written to the
live cgroup in runc's order (memsw before memory when it grows, the CFS period retried after
the quota).
"""

from __future__ import annotations

import errno
import os
import posixpath
from typing import Any

from dockyard import errdefs
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.runtime.cgroups import files
from dockyard.runtime.cgroups.paths import Hierarchies, inner_path
from dockyard.runtime.cgroups.v2_resources import blkio_to_io_weight, shares_to_weight

CFS_PERIOD_US = 100_000  # the period moby pairs with NanoCpus (100 ms)

RESOURCE_KEYS = (
    "Memory",
    "MemorySwap",
    "MemoryReservation",
    "NanoCpus",
    "CpuQuota",
    "CpuPeriod",
    "CpuShares",
    "CpusetCpus",
    "CpusetMems",
    "PidsLimit",
    "BlkioWeight",
)


def cgroups_path(container: Container, *, defaults: Defaults) -> str:
    """The spec's linux.cgroupsPath for this container (moby: filepath.Join(parent, id))."""
    parent = container.host_config.get("CgroupParent") or defaults.cgroup_parent
    return posixpath.join(parent, container.id)


def is_v2(hierarchies: Hierarchies | None = None) -> bool:
    """True on a pure cgroup v2 host (no v1 resource controller mounted)."""
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    return found.unified_mode


def cgroup_dir(
    container: Container,
    controller: str,
    *,
    defaults: Defaults,
    hierarchies: Hierarchies | None = None,
) -> str:
    """The container's directory for `controller` ("memory", "cpuacct"...); on a pure v2 host
    the one unified directory whatever the controller. FailedPrecondition when the v1
    controller is not mounted. `hierarchies` defaults to what /proc says (tests pass theirs)."""
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    inner = inner_path(
        cgroups_path=cgroups_path(container, defaults=defaults), container_id=container.id
    )
    if found.unified_mode and found.unified is not None:
        return found.unified.container_dir(inner)
    h = found.find(controller)
    if h is None:
        raise errdefs.FailedPrecondition(
            f"the cgroup v1 {controller} controller is not mounted on this host"
        )
    return h.container_dir(inner)


# -- docker update ---------------------------------------------------------------------------


def _cannot_update(container: Container, message: str) -> errdefs.InvalidArgument:
    # moby wraps both the merge and the runtime's errors: errCannotUpdate(ctr.ID, err)
    return errdefs.InvalidArgument(f"Cannot update container {container.id}: {message}")


def merge_update(container: Container, resources: dict[str, Any]) -> dict[str, Any]:
    """The container's resources after `docker update` with `resources` (UpdateConfig
    fields), as moby's UpdateContainer merges them: zero means "leave as is", PidsLimit
    <= 0 means unlimited (0). Raises InvalidArgument "Cannot update container <id>: ..."
    with Docker's conflict messages; never mutates the container."""
    current = {k: container.host_config.get(k) for k in RESOURCE_KEYS}
    new = {k: resources.get(k) for k in RESOURCE_KEYS}

    def cur(key: str) -> int:
        return int(current.get(key) or 0)

    def req(key: str) -> int:
        return int(new.get(key) or 0)

    # NanoCpus replaces CpuPeriod/CpuQuota and the other way round: one may not be updated
    # while the other is set (moby's "Conflicting options" checks, in its order).
    conflicts = (
        ("NanoCpus", "CpuPeriod", "Nano CPUs cannot be updated as CPU Period has already been set"),
        ("NanoCpus", "CpuQuota", "Nano CPUs cannot be updated as CPU Quota has already been set"),
        ("CpuPeriod", "NanoCpus", "CPU Period cannot be updated as NanoCPUs has already been set"),
        ("CpuQuota", "NanoCpus", "CPU Quota cannot be updated as NanoCPUs has already been set"),
    )
    for wanted, existing, message in conflicts:
        if req(wanted) > 0 and cur(existing) > 0:
            raise _cannot_update(container, f"Conflicting options: {message}")
    merged = dict(current)
    for key in ("BlkioWeight", "CpuShares", "NanoCpus", "CpuPeriod", "CpuQuota"):
        if req(key):
            merged[key] = req(key)
    for key in ("CpusetCpus", "CpusetMems"):
        if new.get(key):
            merged[key] = new[key]
    if req("Memory"):
        # moby compares with the stored MemorySwap even when that is 0 or -1, so raising the
        # memory of a container without limits needs --memory-swap too (a known Docker quirk).
        if req("Memory") > cur("MemorySwap") and req("MemorySwap") == 0:
            raise _cannot_update(
                container,
                "Memory limit should be smaller than already set memoryswap limit, "
                "update the memoryswap at the same time",
            )
        merged["Memory"] = req("Memory")
    for key in ("MemorySwap", "MemoryReservation"):
        if req(key):
            merged[key] = req(key)
    if new.get("PidsLimit") is not None:
        merged["PidsLimit"] = max(req("PidsLimit"), 0)  # 0 and -1: unlimited
    return merged


def apply_update(
    container: Container,
    resources: dict[str, Any],
    *,
    defaults: Defaults,
    hierarchies: Hierarchies | None = None,
) -> None:
    """Write the merged resources of `docker update` to a running container's cgroups.

    Validates first (merge_update's errors), then writes nothing for a stopped container.
    The caller stores the merged HostConfig afterwards. Kernel refusals become
    InvalidArgument "Cannot update container <id>: failed to write ...".
    """
    merged = merge_update(container, resources)
    if not container.running:
        return
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    pids_given = resources.get("PidsLimit") is not None
    try:
        if found.unified_mode:
            d = cgroup_dir(container, "", defaults=defaults, hierarchies=found)
            _write_v2(d, merged, pids=pids_given)
        else:

            def where(controller: str) -> str:
                return cgroup_dir(container, controller, defaults=defaults, hierarchies=found)

            _write_v1(where, merged, pids=pids_given)
    except errdefs.NotFound as err:
        raise errdefs.Conflict(f"Container {container.id} is not running") from err
    except errdefs.DockyardError as err:
        raise _cannot_update(container, str(err)) from err


def _cpu_quota_period(r: dict[str, Any]) -> tuple[int, int]:
    """(quota, period) in µs as moby's getCPUResources derives them; 0 = leave unset."""
    quota, period = 0, 0
    if int(r.get("NanoCpus") or 0) > 0:
        period = CFS_PERIOD_US
        quota = int(r["NanoCpus"]) * CFS_PERIOD_US // 1_000_000_000
    if r.get("CpuPeriod"):
        period = int(r["CpuPeriod"])
    if r.get("CpuQuota"):
        quota = int(r["CpuQuota"])
    return quota, period


def _write_v1(where: Any, r: dict[str, Any], *, pids: bool) -> None:
    if r.get("CpusetCpus"):
        files.write(where("cpuset"), "cpuset.cpus", str(r["CpusetCpus"]))
    if r.get("CpusetMems"):
        files.write(where("cpuset"), "cpuset.mems", str(r["CpusetMems"]))
    limit, swap = int(r.get("Memory") or 0), int(r.get("MemorySwap") or 0)
    if limit or swap or r.get("MemoryReservation"):
        _memory_v1(where("memory"), limit, swap, int(r.get("MemoryReservation") or 0))
    quota, period = _cpu_quota_period(r)
    if r.get("CpuShares") or quota or period:
        d = where("cpu")
        if r.get("CpuShares"):
            files.write(d, "cpu.shares", str(int(r["CpuShares"])))
        _cfs_v1(d, quota, period)
    if pids:
        limit_pids = int(r.get("PidsLimit") or 0)
        files.write(where("pids"), "pids.max", str(limit_pids) if limit_pids > 0 else "max")
    if r.get("BlkioWeight"):
        d = where("blkio")
        name = "blkio.weight" if files.exists(d, "blkio.weight") else "blkio.bfq.weight"
        files.write(d, name, str(int(r["BlkioWeight"])))


def _memory_v1(d: str, limit: int, swap: int, reservation: int) -> None:
    memsw = "memory.memsw.limit_in_bytes"
    swap_file = files.exists(d, memsw)

    def set_swap() -> None:
        if swap and swap_file:  # without swap accounting Docker warns at create and skips
            files.write(d, memsw, str(swap))

    def set_limit() -> None:
        if limit:
            files.write(d, "memory.limit_in_bytes", str(limit))

    # The kernel keeps memsw >= memory at every step: raise memsw first when it grows or goes
    # unlimited, else lower the limit first (runc's setMemoryAndSwap).
    if limit and swap and (swap == -1 or int(files.read(d, "memory.limit_in_bytes")) < swap):
        set_swap()
        set_limit()
    else:
        set_limit()
        set_swap()
    if reservation:
        files.write(d, "memory.soft_limit_in_bytes", str(reservation))


def _cfs_v1(d: str, quota: int, period: int) -> None:
    # A new period can be refused (EINVAL) while the old quota stands; runc then writes the
    # quota first and the period again after it.
    retry = False
    if period:
        try:
            files.write_raw(d, "cpu.cfs_period_us", str(period))
        except OSError as err:
            if err.errno != errno.EINVAL or not quota:
                path = os.path.join(d, "cpu.cfs_period_us")
                raise files.path_error(path, str(period), err) from err
            retry = True
    if quota:
        files.write(d, "cpu.cfs_quota_us", str(quota))
        if retry:
            files.write(d, "cpu.cfs_period_us", str(period))


def _write_v2(d: str, r: dict[str, Any], *, pids: bool) -> None:
    if pids:
        limit_pids = int(r.get("PidsLimit") or 0)
        files.write(d, "pids.max", str(limit_pids) if limit_pids > 0 else "max")
    limit, swap = int(r.get("Memory") or 0), int(r.get("MemorySwap") or 0)
    if swap and files.exists(d, "memory.swap.max"):
        # v2 limits swap alone: Docker's memory+swap total minus the memory limit.
        value = "max" if swap == -1 else str(max(swap - limit, 0)) if limit else ""
        if value:
            files.write(d, "memory.swap.max", value)
    if limit:
        files.write(d, "memory.max", str(limit))
    if r.get("MemoryReservation"):
        files.write(d, "memory.low", str(int(r["MemoryReservation"])))
    if r.get("BlkioWeight"):
        weight = int(r["BlkioWeight"])
        if files.exists(d, "io.bfq.weight"):
            files.write(d, "io.bfq.weight", str(weight))
        else:
            files.write(d, "io.weight", str(blkio_to_io_weight(weight)))
    if r.get("CpuShares"):
        files.write(d, "cpu.weight", str(shares_to_weight(int(r["CpuShares"]))))
    quota, period = _cpu_quota_period(r)
    if quota or period:
        files.write(d, "cpu.max", f"{quota if quota > 0 else 'max'} {period or CFS_PERIOD_US}")
    if r.get("CpusetCpus"):
        files.write(d, "cpuset.cpus", str(r["CpusetCpus"]))
    if r.get("CpusetMems"):
        files.write(d, "cpuset.mems", str(r["CpusetMems"]))
