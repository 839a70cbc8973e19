"""Resource limits of a HostConfig: moby verifyPlatformContainerResources on Linux.

Used at create and at POST /containers/{id}/update. Checks memory, swap, swappiness, CPU,
cpuset and blkio settings against Docker's limits and the host's cgroups, adjusting the
HostConfig in place where Docker does (swap without a swap controller, CPU percent) and
returning Docker's warnings.
"""

from __future__ import annotations

import os
from typing import Any

from dockyard import errdefs

LINUX_MIN_MEMORY = 6 * 1024 * 1024
# container.Resources: the HostConfig fields POST /containers/{id}/update may change.
UPDATABLE = (
    "CpuShares", "Memory", "NanoCpus", "CgroupParent", "BlkioWeight", "BlkioWeightDevice",
    "BlkioDeviceReadBps", "BlkioDeviceWriteBps", "BlkioDeviceReadIOps", "BlkioDeviceWriteIOps",
    "CpuPeriod", "CpuQuota", "CpuRealtimePeriod", "CpuRealtimeRuntime", "CpusetCpus",
    "CpusetMems", "Devices", "DeviceCgroupRules", "DeviceRequests", "KernelMemory",
    "KernelMemoryTCP", "MemoryReservation", "MemorySwap", "MemorySwappiness", "OomKillDisable",
    "PidsLimit", "Ulimits", "CpuCount", "CpuPercent", "IOMaximumIOps", "IOMaximumBandwidth",
)  # fmt: skip


def cgroup_v2() -> bool:
    """Is /sys/fs/cgroup the unified hierarchy (Docker's default cgroupns mode follows)?"""
    return os.path.exists("/sys/fs/cgroup/cgroup.controllers")


def _swap_limit_supported() -> bool:
    if cgroup_v2():
        return True
    return os.path.exists("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")


def _cpu_list(text: str) -> set[int] | None:
    cpus: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        if not lo.isdigit() or (hi and not hi.isdigit()):
            return None
        cpus.update(range(int(lo), int(hi or lo) + 1))
    return cpus


def _check_cpuset(value: str, kind: str, available_path: str) -> None:
    if not value:
        return
    wanted = _cpu_list(value)
    if wanted is None:
        raise errdefs.InvalidArgument(f"Invalid value {value} for cpuset {kind}")
    try:
        with open(available_path) as f:
            available_text = f.read().strip()
    except OSError:
        return
    if not wanted <= (_cpu_list(available_text) or set()):
        what = "CPUs" if kind == "cpus" else "memory nodes"
        raise errdefs.InvalidArgument(
            f"Requested {what} are not available - requested {value}, available: {available_text}"
        )


def verify_resources(hc: dict[str, Any], *, update: bool) -> list[str]:
    """moby verifyPlatformContainerResources; adjusts hc in place like Docker, returns warnings."""
    warnings: list[str] = []
    memory, swap = hc.get("Memory") or 0, hc.get("MemorySwap") or 0
    if memory != 0 and memory < LINUX_MIN_MEMORY:
        raise errdefs.InvalidArgument("Minimum memory limit allowed is 6MB")
    if memory > 0 and swap != -1 and not _swap_limit_supported():
        warnings.append(
            "Your kernel does not support swap limit capabilities or the cgroup is not "
            "mounted. Memory limited without swap."
        )
        hc["MemorySwap"] = swap = -1
    if memory > 0 and swap > 0 and swap < memory:
        raise errdefs.InvalidArgument(
            "Minimum memoryswap limit should be larger than memory limit, see usage"
        )
    if memory == 0 and swap > 0 and not update:
        raise errdefs.InvalidArgument(
            "You should always set the Memory limit when using Memoryswap limit, see usage"
        )
    swappiness = hc.get("MemorySwappiness")
    if swappiness is not None and swappiness != -1 and not 0 <= swappiness <= 100:
        raise errdefs.InvalidArgument(
            f"Invalid value: {swappiness}, valid memory swappiness range is 0-100"
        )
    if swappiness == -1:
        hc["MemorySwappiness"] = None  # fixMemorySwappiness: -1 means "not set"
    reservation = hc.get("MemoryReservation") or 0
    if reservation > 0 and reservation < LINUX_MIN_MEMORY:
        raise errdefs.InvalidArgument("Minimum memory reservation allowed is 6MB")
    if memory > 0 and reservation > 0 and memory < reservation:
        raise errdefs.InvalidArgument(
            "Minimum memory limit can not be less than memory reservation limit, see usage"
        )
    if hc.get("OomKillDisable") and memory == 0:
        warnings.append(
            "OOM killer is disabled for the container, but no memory limit is set, this can "
            "result in the system running out of resources."
        )
    warnings += _verify_cpu(hc)
    blkio = hc.get("BlkioWeight") or 0
    if blkio > 0 and not 10 <= blkio <= 1000:
        raise errdefs.InvalidArgument("Range of blkio weight is from 10 to 1000")
    if hc.get("IOMaximumBandwidth") or hc.get("IOMaximumIOps"):
        raise errdefs.InvalidArgument(
            "Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps"
        )
    return warnings


def _verify_cpu(hc: dict[str, Any]) -> list[str]:
    warnings: list[str] = []
    nano, period, quota = hc.get("NanoCpus") or 0, hc.get("CpuPeriod") or 0, hc.get("CpuQuota") or 0
    if nano > 0 and period > 0:
        raise errdefs.InvalidArgument(
            "Conflicting options: Nano CPUs and CPU Period cannot both be set"
        )
    if nano > 0 and quota > 0:
        raise errdefs.InvalidArgument(
            "Conflicting options: Nano CPUs and CPU Quota cannot both be set"
        )
    if nano != 0:
        n = os.cpu_count() or 1
        if nano < 0 or nano > n * 1_000_000_000:
            raise errdefs.InvalidArgument(
                f"range of CPUs is from 0.01 to {n}.00, as there are only {n} CPUs available"
            )
    if period != 0 and not 1000 <= period <= 1_000_000:
        raise errdefs.InvalidArgument(
            "CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)"
        )
    if quota > 0 and quota < 1000:
        raise errdefs.InvalidArgument("CPU cfs quota can not be less than 1ms (i.e. 1000)")
    if (hc.get("CpuPercent") or 0) > 0:
        warnings.append("linux does not support CPU percent. Percent discarded.")
        hc["CpuPercent"] = 0
    root = "/sys/fs/cgroup" if cgroup_v2() else "/sys/fs/cgroup/cpuset"
    suffix = ".effective" if cgroup_v2() else ""
    _check_cpuset(hc.get("CpusetCpus") or "", "cpus", f"{root}/cpuset.cpus{suffix}")
    _check_cpuset(hc.get("CpusetMems") or "", "mems", f"{root}/cpuset.mems{suffix}")
    return warnings
