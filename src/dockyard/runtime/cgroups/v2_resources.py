"""Writing a `Resources` record into a cgroup v2 directory.

Mappings and order are runc's fs2 (pids, memory, io, cpu, devices, cpuset, hugetlb, unified):
memory.max / memory.low / memory.swap.max (swap minus limit), cpu.weight from shares, cpu.max
"quota period", io.weight or io.bfq.weight, io.max, pids.max, hugetlb.<size>.max. Knobs that
v2 dropped by design (swappiness, disableOOMKiller, leaf weights, realtime, net_cls/net_prio)
are skipped with a warning, as runc skips them. Device rules need an eBPF program we do not
load yet: any rule that restricts something is refused rather than silently not enforced.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.runtime.cgroups import devices, files
from dockyard.runtime.cgroups.resources import BlockIO, Cpu, Memory, Resources
from dockyard.runtime.runlog import get_logger

TYPE_CHECKING = False  # true for mypy; typing costs start-up time at run time
if TYPE_CHECKING:
    from collections.abc import Collection


log = get_logger(__name__)


def apply(d: str, res: Resources, *, controllers: Collection[str]) -> None:
    """Write `res` into the cgroup at `d`, whose cgroup.controllers lists `controllers`.

    Everything that cannot be applied is refused before the first write.
    """
    _refuse_unsupported(res)
    _warn_dropped(res)
    for controller, what in _needed(res):
        if controller not in controllers:
            raise errdefs.FailedPrecondition(
                f"cannot set {what}: the {controller} controller is not enabled in {d} "
                f"(cgroup.controllers: {' '.join(sorted(controllers)) or 'empty'})"
            )
    if res.pids_limit:
        files.write(d, "pids.max", str(res.pids_limit) if res.pids_limit > 0 else "max")
    if res.memory:
        _memory(d, res.memory)
    if res.block_io:
        _io(d, res.block_io)
    if res.cpu:
        _cpu(d, res.cpu)
    if res.cpu and res.cpu.cpus:
        files.write(d, "cpuset.cpus", res.cpu.cpus)
    if res.cpu and res.cpu.mems:
        files.write(d, "cpuset.mems", res.cpu.mems)
    for h in res.hugepage_limits:
        files.write(d, f"hugetlb.{h.page_size}.max", str(h.limit))
    for key, value in res.unified:
        files.write(d, key, value)


def shares_to_weight(shares: int) -> int:
    """runc's cpu.shares (2..262144) to cpu.weight (1..10000) conversion; 0 stays unset."""
    if not shares:
        return 0
    shares = min(max(shares, 2), 262144)  # the v1 kernel clamps to this range too
    return 1 + ((shares - 2) * 9999) // 262142


def blkio_to_io_weight(weight: int) -> int:
    """runc's blkio weight (10..1000) to io.weight (1..10000) conversion."""
    weight = min(max(weight, 10), 1000)
    return 1 + (weight - 10) * 9999 // 990


def swap_max(swap: int, limit: int) -> int:
    """memory.swap.max from the spec's memory+swap total (runc's ConvertMemorySwapToCgroupV2Value).

    -1 means "max", 0 means unset.
    """
    if limit == -1 and swap == 0:
        return -1  # as on v1: unlimited memory with swap unset means unlimited swap
    if swap in (-1, 0):
        return swap
    if limit in (0, -1):
        raise errdefs.InvalidArgument(
            "invalid linux.resources.memory.swap: unable to set swap limit without memory limit"
        )
    if limit < 0:
        raise errdefs.InvalidArgument(f"invalid linux.resources.memory.limit: {limit}")
    if swap < limit:
        raise errdefs.InvalidArgument(
            f"invalid linux.resources.memory.swap {swap}: memory+swap limit should be >= "
            f"memory limit {limit}"
        )
    return swap - limit


def _refuse_unsupported(res: Resources) -> None:
    if res.devices and not devices.allows_everything(res.devices):
        raise errdefs.Unimplemented(
            "linux.resources.devices: device rules on cgroup v2 need an eBPF device program, "
            "which dockyard-runtime does not load yet; refusing to run without enforcing them"
        )
    if res.rdma:
        raise errdefs.Unimplemented("linux.resources.rdma is not supported by dockyard-runtime")
    for key, _ in res.unified:
        # runc: "unified resource %q must be a file name (no slashes)".
        if "/" in key or key in ("", ".", "..") or "." not in key.strip("."):
            raise errdefs.InvalidArgument(
                f"invalid linux.resources.unified key {key!r}: expected a file name "
                "like memory.high"
            )
    if res.memory:
        swap_max(res.memory.swap or 0, res.memory.limit or 0)


def _warn_dropped(res: Resources) -> None:
    dropped = []
    if res.memory and res.memory.swappiness not in (None, -1):
        dropped.append("memory.swappiness")
    if res.memory and res.memory.disable_oom_killer:
        dropped.append("memory.disableOOMKiller")
    if res.cpu and (res.cpu.realtime_period or res.cpu.realtime_runtime):
        dropped.append("cpu.realtimePeriod/realtimeRuntime")
    if res.block_io and (
        res.block_io.leaf_weight or any(w.leaf_weight for w in res.block_io.weight_device)
    ):
        dropped.append("blockIO leaf weights")
    if res.network and (res.network.class_id is not None or res.network.priorities):
        dropped.append("network (net_cls/net_prio)")
    for what in dropped:
        log.warning("cgroup v2 has no equivalent of linux.resources.%s; ignored as runc does", what)


def _needed(res: Resources) -> list[tuple[str, str]]:
    need = []
    if res.pids_limit:
        need.append(("pids", "linux.resources.pids"))
    m = res.memory
    if m and (m.limit or m.reservation or m.swap):
        need.append(("memory", "linux.resources.memory"))
    b = res.block_io
    if b and (
        b.weight
        or any(w.weight for w in b.weight_device)
        or b.throttle_read_bps
        or b.throttle_write_bps
        or b.throttle_read_iops
        or b.throttle_write_iops
    ):
        need.append(("io", "linux.resources.blockIO"))
    c = res.cpu
    if c and (c.shares or c.quota or c.period or c.burst is not None or c.idle is not None):
        need.append(("cpu", "linux.resources.cpu"))
    if c and (c.cpus or c.mems):
        need.append(("cpuset", "linux.resources.cpu.cpus/mems"))
    if res.hugepage_limits:
        need.append(("hugetlb", "linux.resources.hugepageLimits"))
    for key, _ in res.unified:
        controller = key.split(".", 1)[0]
        if controller != "cgroup":  # cgroup.* files exist in every cgroup
            need.append((controller, f"linux.resources.unified {key}"))
    return need


def _number(value: int) -> str:
    """A v2 limit: -1 (v1's "unlimited") is "max"."""
    return "max" if value == -1 else str(value)


def _memory(d: str, m: Memory) -> None:
    limit = m.limit or 0
    swap = swap_max(m.swap or 0, limit)
    # runc writes swap first. swap == 0 with a swap given means memory == memory+swap: no swap.
    accounted = files.exists(d, "memory.swap.max")
    if m.swap:
        hint = "" if accounted else "swap accounting is not enabled on this host"
        files.write(d, "memory.swap.max", _number(swap), hint=hint)
    elif swap and accounted:
        # The implied unlimited swap of an unlimited memory; nothing to lift if unaccounted.
        files.write(d, "memory.swap.max", _number(swap))
    if limit:
        files.write(d, "memory.max", _number(limit))
    if m.reservation:
        files.write(d, "memory.low", _number(m.reservation))


def _cpu(d: str, c: Cpu) -> None:
    if c.idle is not None:
        files.write(d, "cpu.idle", str(c.idle))
    weight = shares_to_weight(c.shares or 0)
    if weight:
        files.write(d, "cpu.weight", str(weight))
    if c.burst is not None:
        files.write(d, "cpu.max.burst", str(c.burst))
    if c.quota or c.period:
        quota = str(c.quota) if c.quota and c.quota > 0 else "max"
        # 100000 is the kernel's default period (cgroup-v2.rst, cpu.max).
        files.write(d, "cpu.max", f"{quota} {c.period or 100000}")


def _io(d: str, b: BlockIO) -> None:
    # With BFQ the weight goes to io.bfq.weight unconverted; without it, io.weight takes the
    # converted value (runc's setIo). Per-device weights: io.bfq.weight when it accepts them
    # (it reads "default N" from kernel 5.4), else io.weight's own "MAJ:MIN WEIGHT" lines,
    # where runc silently drops them.
    bfq = files.exists(d, "io.bfq.weight")
    per_device_bfq = bfq and files.read(d, "io.bfq.weight").startswith("default")
    if b.weight:
        if bfq:
            files.write(d, "io.bfq.weight", str(b.weight))
        else:
            files.write(d, "io.weight", str(blkio_to_io_weight(b.weight)))
    for wd in b.weight_device:
        if not wd.weight:
            continue
        if per_device_bfq:
            files.write(d, "io.bfq.weight", f"{wd.major}:{wd.minor} {wd.weight}")
        else:
            line = f"{wd.major}:{wd.minor} {blkio_to_io_weight(wd.weight)}"
            files.write(d, "io.weight", line)
    for key, throttles in (
        ("rbps", b.throttle_read_bps),
        ("wbps", b.throttle_write_bps),
        ("riops", b.throttle_read_iops),
        ("wiops", b.throttle_write_iops),
    ):
        for t in throttles:
            files.write(d, "io.max", f"{t.major}:{t.minor} {key}={t.rate}")
