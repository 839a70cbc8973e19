"""Writing a `Resources` record into cgroup v1 controller files.

One function per controller, called in runc's subsystem order (cpuset, devices, memory, cpu,
pids, blkio, hugetlb, net_cls, net_prio). The orderings inside a controller (swap before or
after the memory limit, CFS period after the quota...) are runc's, each explained where it
happens. `dirs` maps a controller name to the container's directory in its hierarchy.
"""

from __future__ import annotations

import errno
import os

from dockyard import errdefs
from dockyard.runtime.cgroups import devices, files
from dockyard.runtime.cgroups.resources import BlockIO, Cpu, Memory, Resources
from dockyard.runtime.runlog import get_logger

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Mapping


log = get_logger(__name__)

_MEMSW = "memory.memsw.limit_in_bytes"
_NO_SWAP_ACCOUNTING = "swap accounting is not enabled on this host (kernel swapaccount=1)"


def apply(dirs: Mapping[str, str], res: Resources) -> None:
    """Write every resource in `res`; fail before writing anything if one cannot be applied."""
    if res.unified:
        # runc: ErrV1NoUnified, "invalid configuration: cannot use unified on cgroup v1".
        raise errdefs.InvalidArgument(
            "invalid linux.resources.unified: it needs a cgroup v2 host, this one uses cgroup v1"
        )
    if res.rdma:
        raise errdefs.Unimplemented("linux.resources.rdma is not supported by dockyard-runtime")
    swappiness = res.memory.swappiness if res.memory else None
    if swappiness is not None and swappiness > 100:
        raise errdefs.InvalidArgument(
            f"invalid memory swappiness value: {swappiness} (valid range is 0-100)"
        )
    need: dict[str, str] = {}
    for controller, what in _needed(res):
        need.setdefault(controller, what)
        if controller not in dirs:
            raise errdefs.FailedPrecondition(
                f"cannot set {what}: the {controller} cgroup controller is not mounted on this host"
            )
    # Computed first: a rule cgroup v1 cannot express fails here, before any write.
    device_writes = devices.v1_writes(res.devices, files.read(dirs["devices"], "devices.list"))
    if "cpuset" in need and res.cpu:
        _cpuset(dirs["cpuset"], res.cpu)
    for name, line in device_writes:
        files.write(dirs["devices"], name, line)
    if "memory" in need and res.memory:
        _memory(dirs["memory"], res.memory)
    if "cpu" in need and res.cpu:
        _cpu(dirs["cpu"], res.cpu)
    if "pids" in need and res.pids_limit:
        # runc: any negative limit means unlimited; 0 leaves the file alone.
        files.write(dirs["pids"], "pids.max", str(res.pids_limit) if res.pids_limit > 0 else "max")
    if "blkio" in need and res.block_io:
        _blkio(dirs["blkio"], res.block_io)
    for h in res.hugepage_limits:
        files.write(dirs["hugetlb"], f"hugetlb.{h.page_size}.limit_in_bytes", str(h.limit))
    if res.network and res.network.class_id is not None:
        files.write(dirs["net_cls"], "net_cls.classid", str(res.network.class_id))
    for p in res.network.priorities if res.network else ():
        files.write(dirs["net_prio"], "net_prio.ifpriomap", f"{p.name} {p.priority}")


def _needed(res: Resources) -> list[tuple[str, str]]:
    """(controller, setting) for every setting in `res` that has a value to write."""
    need = [("devices", "linux.resources.devices")]
    cpu, m = res.cpu, res.memory
    if cpu and (cpu.cpus or cpu.mems):
        need.append(("cpuset", "linux.resources.cpu.cpus/mems"))
    if cpu and (cpu.shares or cpu.quota or cpu.period or cpu.burst is not None):
        need.append(("cpu", "linux.resources.cpu"))
    if cpu and (cpu.idle is not None or cpu.realtime_period or cpu.realtime_runtime):
        need.append(("cpu", "linux.resources.cpu"))
    if m and (m.limit or m.reservation or m.swap or m.disable_oom_killer):
        need.append(("memory", "linux.resources.memory"))
    if m and m.swappiness not in (None, -1):
        need.append(("memory", "linux.resources.memory.swappiness"))
    if res.pids_limit:
        need.append(("pids", "linux.resources.pids"))
    if res.block_io and res.block_io != BlockIO():
        need.append(("blkio", "linux.resources.blockIO"))
    if res.hugepage_limits:
        need.append(("hugetlb", "linux.resources.hugepageLimits"))
    if res.network and res.network.class_id is not None:
        need.append(("net_cls", "linux.resources.network.classID"))
    if res.network and res.network.priorities:
        need.append(("net_prio", "linux.resources.network.priorities"))
    return need


def _cpuset(d: str, cpu: Cpu) -> None:
    if cpu.cpus:
        files.write(d, "cpuset.cpus", cpu.cpus)
    if cpu.mems:
        files.write(d, "cpuset.mems", cpu.mems)


def _memory(d: str, m: Memory) -> None:
    limit, swap = m.limit or 0, m.swap or 0
    # runc: an unlimited memory with swap unset means unlimited swap too, if it is accounted.
    if limit == -1 and swap == 0 and files.exists(d, _MEMSW):
        swap = -1
    # The kernel keeps memsw >= memory at every step, so raise memsw first when it grows
    # (or goes unlimited) and lower the limit first otherwise (runc's setMemoryAndSwap).
    if limit and swap and (swap == -1 or int(files.read(d, "memory.limit_in_bytes")) < swap):
        _set_swap(d, swap)
        _set_limit(d, limit)
    else:
        _set_limit(d, limit)
        _set_swap(d, swap)
    if m.reservation:
        files.write(d, "memory.soft_limit_in_bytes", str(m.reservation))
    if m.disable_oom_killer:
        files.write(d, "memory.oom_control", "1")
    if m.swappiness is not None and m.swappiness != -1:
        files.write(d, "memory.swappiness", str(m.swappiness))


def _set_limit(d: str, limit: int) -> None:
    if not limit:
        return
    try:
        files.write_raw(d, "memory.limit_in_bytes", str(limit))
    except OSError as err:
        hint = ""
        if err.errno == errno.EBUSY:
            # The kernel could not reclaim down to the new limit; say how far off it is.
            usage = files.read(d, "memory.usage_in_bytes")
            peak = files.read(d, "memory.max_usage_in_bytes")
            hint = f"current usage {usage}, peak usage {peak}"
        path = os.path.join(d, "memory.limit_in_bytes")
        raise files.path_error(path, str(limit), err, hint) from err


def _set_swap(d: str, swap: int) -> None:
    if not swap:
        return
    # runc writes and fails when the file is missing; we fail the same, with the reason.
    hint = "" if files.exists(d, _MEMSW) else _NO_SWAP_ACCOUNTING
    files.write(d, _MEMSW, str(swap), hint=hint)


def _cpu(d: str, cpu: Cpu) -> None:
    if cpu.shares:
        files.write(d, "cpu.shares", str(cpu.shares))
        # The kernel clamps shares to 2..262144 silently; runc reads back to report it.
        got = int(files.read(d, "cpu.shares"))
        if got != cpu.shares:
            bound = "maximum" if cpu.shares > got else "minimum"
            raise errdefs.InvalidArgument(
                f"invalid cpu shares {cpu.shares}: the {bound} allowed cpu-shares is {got}"
            )
    # A new period can be refused (EINVAL) while the old quota/burst stands against the
    # parent's quota; runc then writes the quota first and retries the period after it.
    period = _write_deferrable(d, "cpu.cfs_period_us", cpu.period, later=bool(cpu.quota))
    burst = None
    if cpu.burst is not None:
        if files.exists(d, "cpu.cfs_burst_us"):
            burst = _write_deferrable(d, "cpu.cfs_burst_us", cpu.burst, later=bool(cpu.quota))
        else:
            # runc ignores a missing burst knob (kernels before 5.14).
            log.warning("cgroup v1 cpu.cfs_burst_us is missing in %s; cpu.burst ignored", d)
    if cpu.quota:
        files.write(d, "cpu.cfs_quota_us", str(cpu.quota))
        for name, value in (("cpu.cfs_period_us", period), ("cpu.cfs_burst_us", burst)):
            if value is not None:
                files.write(d, name, str(value))
    if cpu.idle is not None:
        files.write(d, "cpu.idle", str(cpu.idle))
    # Same dance for the realtime pair: a period refused now is retried after the runtime.
    rt_period = _write_deferrable(
        d, "cpu.rt_period_us", cpu.realtime_period, later=bool(cpu.realtime_runtime)
    )
    if cpu.realtime_runtime:
        files.write(d, "cpu.rt_runtime_us", str(cpu.realtime_runtime))
        if rt_period is not None:
            files.write(d, "cpu.rt_period_us", str(rt_period))


def _write_deferrable(d: str, name: str, value: int | None, *, later: bool) -> int | None:
    """Write `value`; if the kernel says EINVAL and a retry will come `later`, return it."""
    if not value:
        return None
    try:
        files.write_raw(d, name, str(value))
    except OSError as err:
        if err.errno == errno.EINVAL and later:
            return value
        raise files.path_error(os.path.join(d, name), str(value), err) from err
    return None


def _blkio(d: str, b: BlockIO) -> None:
    # Kernels with BFQ but without CFQ only have the blkio.bfq.* weight files (runc's
    # detectWeightFilenames); this host is one of them.
    if files.exists(d, "blkio.weight"):
        weight_file, weight_device_file = "blkio.weight", "blkio.weight_device"
    else:
        weight_file, weight_device_file = "blkio.bfq.weight", "blkio.bfq.weight_device"
    if b.weight:
        files.write(d, weight_file, str(b.weight))
    if b.leaf_weight:
        files.write(d, "blkio.leaf_weight", str(b.leaf_weight))
    for wd in b.weight_device:
        if wd.weight:
            files.write(d, weight_device_file, f"{wd.major}:{wd.minor} {wd.weight}")
        if wd.leaf_weight:
            files.write(d, "blkio.leaf_weight_device", f"{wd.major}:{wd.minor} {wd.leaf_weight}")
    for name, throttles in (
        ("blkio.throttle.read_bps_device", b.throttle_read_bps),
        ("blkio.throttle.write_bps_device", b.throttle_write_bps),
        ("blkio.throttle.read_iops_device", b.throttle_read_iops),
        ("blkio.throttle.write_iops_device", b.throttle_write_iops),
    ):
        for t in throttles:
            files.write(d, name, f"{t.major}:{t.minor} {t.rate}")
