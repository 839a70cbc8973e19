"""`docker stats`: Docker's StatsJSON documents read from the container's cgroup files.

Field for field what moby's statsV1 / statsV2 make of containerd's cgroup metrics: cpuacct
(usage, per-CPU usage, user/system from cpuacct.stat in USER_HZ ticks), cpu.stat throttling,
memory usage/peak/failcnt/limit and the memory.stat counters (v1's 32 keys, v2's own set),
pids.current/max, blkio (CFQ's recursive files, else the throttle ones) or v2's io.stat;
system_cpu_usage and online_cpus from /proc/stat as moby's collector reads them; networks from
/proc/<pid>/net/dev (absent with `none` or `host` networking, as Docker has no endpoint
there). A memory limit above the host's memory is reported as the host's memory.

Pacing is moby's ContainerStats: one sample a second; precpu_stats/preread are the previous
sample's; with stream=false the first sample only primes precpu (unless one_shot) so
`docker stats --no-stream` can compute CPU %; a stopped container yields a zeroed document
(name and id only).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Callable
from typing import Any

from dockyard import errdefs
from dockyard.containers.cgroups import cgroup_dir
from dockyard.containers.container import Container
from dockyard.containers.deps import Defaults
from dockyard.images import timefmt
from dockyard.runtime.cgroups.paths import Hierarchies

log = logging.getLogger(__name__)

ZERO_TIME = "0001-01-01T00:00:00Z"
_NS = 1_000_000_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
PROC_STAT = "/proc/stat"
MEMINFO = "/proc/meminfo"

V1_MEMORY_KEYS = [
    "cache",
    "rss",
    "rss_huge",
    "mapped_file",
    "dirty",
    "writeback",
    "pgpgin",
    "pgpgout",
    "pgfault",
    "pgmajfault",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "hierarchical_memory_limit",
    "hierarchical_memsw_limit",
    "total_cache",
    "total_rss",
    "total_rss_huge",
    "total_mapped_file",
    "total_dirty",
    "total_writeback",
    "total_pgpgin",
    "total_pgpgout",
    "total_pgfault",
    "total_pgmajfault",
    "total_inactive_anon",
    "total_active_anon",
    "total_inactive_file",
    "total_active_file",
    "total_unevictable",
]
V2_MEMORY_KEYS = [
    "anon",
    "file",
    "kernel_stack",
    "slab",
    "sock",
    "shmem",
    "file_mapped",
    "file_dirty",
    "file_writeback",
    "anon_thp",
    "inactive_anon",
    "active_anon",
    "inactive_file",
    "active_file",
    "unevictable",
    "slab_reclaimable",
    "slab_unreclaimable",
    "pgfault",
    "pgmajfault",
    "workingset_refault",
    "workingset_activate",
    "workingset_nodereclaim",
    "pgrefill",
    "pgscan",
    "pgsteal",
    "pgactivate",
    "pgdeactivate",
    "pglazyfree",
    "pglazyfreed",
    "thp_fault_alloc",
    "thp_collapse_alloc",
]
BLKIO_FIELDS = (
    "io_service_bytes_recursive",
    "io_serviced_recursive",
    "io_queue_recursive",
    "io_service_time_recursive",
    "io_wait_time_recursive",
    "io_merged_recursive",
    "io_time_recursive",
    "sectors_recursive",
)
# CFQ's files for the fields above, in the same order (containerd's blkio settings).
_CFQ_FILES = (
    "blkio.io_service_bytes_recursive",
    "blkio.io_serviced_recursive",
    "blkio.io_queued_recursive",
    "blkio.io_service_time_recursive",
    "blkio.io_wait_time_recursive",
    "blkio.io_merged_recursive",
    "blkio.time_recursive",
    "blkio.sectors_recursive",
)


# -- documents --------------------------------------------------------------------------------


def empty_cpu_stats() -> dict[str, Any]:
    """CPUStats as Go marshals its zero value (omitempty fields left out)."""
    return {
        "cpu_usage": {"total_usage": 0, "usage_in_kernelmode": 0, "usage_in_usermode": 0},
        "throttling_data": {"periods": 0, "throttled_periods": 0, "throttled_time": 0},
    }


def empty_doc(container: Container) -> dict[str, Any]:
    """The StatsJSON Docker sends for a container that is not running: name and id only."""
    return {
        "read": ZERO_TIME,
        "preread": ZERO_TIME,
        "pids_stats": {},
        "blkio_stats": dict.fromkeys(BLKIO_FIELDS),
        "num_procs": 0,
        "storage_stats": {},
        "cpu_stats": empty_cpu_stats(),
        "precpu_stats": empty_cpu_stats(),
        "memory_stats": {},
        "name": "/" + container.name,
        "id": container.id,
    }


# -- small file readers -----------------------------------------------------------------------


def _text(d: str, name: str) -> str | None:
    try:
        with open(os.path.join(d, name), encoding="utf-8") as f:
            return f.read()
    except FileNotFoundError:
        if not os.path.isdir(d):
            raise errdefs.NotFound(f"no such cgroup: {d}") from None
        return None  # a file this kernel does not have


def _int(d: str, name: str) -> int:
    text = _text(d, name)
    if text is None or not text.strip() or text.strip() == "max":
        return 0
    return int(text.split()[0])


def _keyed(d: str, name: str) -> dict[str, int]:
    """A flat-keyed file ("key value" lines: memory.stat, cpu.stat, cpuacct.stat)."""
    out: dict[str, int] = {}
    for line in (_text(d, name) or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def system_cpu(proc_stat: str = PROC_STAT) -> tuple[int, int]:
    """(system_cpu_usage in ns, online_cpus) from /proc/stat as moby's collector reads it:
    the first seven fields of the "cpu" line (USER_HZ ticks), and one per "cpuN" line."""
    usage, cpus = 0, 0
    with open(proc_stat, encoding="utf-8") as f:
        for line in f:
            fields = line.split()
            if not fields or not fields[0].startswith("cpu"):
                continue
            if fields[0] == "cpu":
                usage = sum(int(v) for v in fields[1:8]) * _NS // CLOCK_TICKS
            else:
                cpus += 1
    return usage, cpus


def machine_memory(meminfo: str = MEMINFO) -> int:
    """MemTotal in bytes (moby's machineMemory)."""
    with open(meminfo, encoding="utf-8") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    return 0


def blkio_entries(text: str) -> list[dict[str, Any]]:
    """Entries of a v1 blkio file ("8:0 Read 4096" lines; the last "Total N" line skipped)."""
    entries: list[dict[str, Any]] = []
    for line in text.splitlines():
        fields = line.replace(":", " ").split()
        if len(fields) < 3:
            continue  # "Total 0"
        op, value = (fields[2], fields[3]) if len(fields) >= 4 else ("", fields[2])
        entries.append(
            {"major": int(fields[0]), "minor": int(fields[1]), "op": op, "value": int(value)}
        )
    return entries


def io_stat_entries(text: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(io_service_bytes_recursive, io_serviced_recursive) from a v2 io.stat."""
    nbytes: list[dict[str, Any]] = []
    serviced: list[dict[str, Any]] = []
    for line in text.splitlines():
        device, *pairs = line.split()
        if ":" not in device:
            continue
        major, minor = (int(x) for x in device.split(":", 1))
        values = dict(p.split("=", 1) for p in pairs if "=" in p)
        for op in ("read", "write"):
            key = op[0]
            if f"{key}bytes" in values:
                nbytes.append(
                    {"major": major, "minor": minor, "op": op, "value": int(values[f"{key}bytes"])}
                )
            if f"{key}ios" in values:
                serviced.append(
                    {"major": major, "minor": minor, "op": op, "value": int(values[f"{key}ios"])}
                )
    return nbytes, serviced


def net_dev(text: str) -> dict[str, dict[str, int]]:
    """Per-interface counters of /proc/<pid>/net/dev, loopback left out (Docker shows the
    endpoints' interfaces only)."""
    networks: dict[str, dict[str, int]] = {}
    for line in text.splitlines()[2:]:
        name, sep, rest = line.partition(":")
        name = name.strip()
        if not sep or name == "lo":
            continue
        v = [int(x) for x in rest.split()]
        if len(v) < 12:
            continue
        networks[name] = {
            "rx_bytes": v[0],
            "rx_packets": v[1],
            "rx_errors": v[2],
            "rx_dropped": v[3],
            "tx_bytes": v[8],
            "tx_packets": v[9],
            "tx_errors": v[10],
            "tx_dropped": v[11],
        }
    return networks


# -- one sample --------------------------------------------------------------------------------


def _pids(d: str) -> dict[str, int]:
    out = {"current": _int(d, "pids.current"), "limit": _int(d, "pids.max")}
    return {k: v for k, v in out.items() if v}  # omitempty


def _memory_doc(
    usage: int,
    peak: int,
    failcnt: int,
    limit: int,
    raw: dict[str, int],
    keys: list[str],
    host_memory: int,
) -> dict[str, Any]:
    if host_memory and (limit == 0 or limit > host_memory):
        limit = host_memory
    doc: dict[str, Any] = {
        "usage": usage,
        "max_usage": peak,
        "stats": {k: raw.get(k, 0) for k in keys},
        "failcnt": failcnt,
        "limit": limit,
    }
    return {k: v for k, v in doc.items() if v}  # omitempty


def _sample_v1(dirs: Callable[[str], str], host_memory: int) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    d = dirs("pids")
    doc["pids_stats"] = _pids(d)
    d = dirs("blkio")
    blkio: dict[str, Any] = dict.fromkeys(BLKIO_FIELDS)
    if os.path.exists(os.path.join(d, "blkio.io_serviced_recursive")):
        for field, name in zip(BLKIO_FIELDS, _CFQ_FILES, strict=True):
            blkio[field] = blkio_entries(_text(d, name) or "")
    if not blkio["io_service_bytes_recursive"]:
        # no CFQ on the devices used: the throttle counters (containerd does the same)
        blkio["io_service_bytes_recursive"] = blkio_entries(
            _text(d, "blkio.throttle.io_service_bytes") or ""
        )
        blkio["io_serviced_recursive"] = blkio_entries(_text(d, "blkio.throttle.io_serviced") or "")
    doc["blkio_stats"] = blkio
    d = dirs("cpuacct")
    ticks = _keyed(d, "cpuacct.stat")
    usage: dict[str, Any] = {"total_usage": _int(d, "cpuacct.usage")}
    percpu = [int(v) for v in (_text(d, "cpuacct.usage_percpu") or "").split()]
    if percpu:
        usage["percpu_usage"] = percpu
    usage["usage_in_kernelmode"] = ticks.get("system", 0) * _NS // CLOCK_TICKS
    usage["usage_in_usermode"] = ticks.get("user", 0) * _NS // CLOCK_TICKS
    throttle = _keyed(dirs("cpu"), "cpu.stat")
    doc["cpu_stats"] = {
        "cpu_usage": usage,
        "throttling_data": {
            "periods": throttle.get("nr_periods", 0),
            "throttled_periods": throttle.get("nr_throttled", 0),
            "throttled_time": throttle.get("throttled_time", 0),
        },
    }
    d = dirs("memory")
    doc["memory_stats"] = _memory_doc(
        _int(d, "memory.usage_in_bytes"),
        _int(d, "memory.max_usage_in_bytes"),
        _int(d, "memory.failcnt"),
        _int(d, "memory.limit_in_bytes"),
        _keyed(d, "memory.stat"),
        V1_MEMORY_KEYS,
        host_memory,
    )
    return doc


def _sample_v2(d: str, host_memory: int) -> dict[str, Any]:
    doc: dict[str, Any] = {"pids_stats": _pids(d)}
    blkio: dict[str, Any] = dict.fromkeys(BLKIO_FIELDS)
    nbytes, serviced = io_stat_entries(_text(d, "io.stat") or "")
    blkio["io_service_bytes_recursive"], blkio["io_serviced_recursive"] = nbytes, serviced
    doc["blkio_stats"] = blkio
    cpu = _keyed(d, "cpu.stat")
    doc["cpu_stats"] = {
        "cpu_usage": {  # v2 has no per-CPU usage
            "total_usage": cpu.get("usage_usec", 0) * 1000,
            "usage_in_kernelmode": cpu.get("system_usec", 0) * 1000,
            "usage_in_usermode": cpu.get("user_usec", 0) * 1000,
        },
        "throttling_data": {
            "periods": cpu.get("nr_periods", 0),
            "throttled_periods": cpu.get("nr_throttled", 0),
            "throttled_time": cpu.get("throttled_usec", 0) * 1000,
        },
    }
    doc["memory_stats"] = _memory_doc(
        _int(d, "memory.current"),
        0,  # v2 keeps no peak Docker reports
        _keyed(d, "memory.events").get("oom", 0),
        _int(d, "memory.max"),
        _keyed(d, "memory.stat"),
        V2_MEMORY_KEYS,
        host_memory,
    )
    return doc


def sample(
    container: Container,
    *,
    defaults: Defaults,
    hierarchies: Hierarchies | None = None,
    proc: str = "/proc",
) -> dict[str, Any]:
    """One StatsJSON of a running container (precpu_stats/preread zero). NotFound when its
    cgroup is gone (it just exited)."""
    found = Hierarchies.discover() if hierarchies is None else hierarchies
    host_memory = machine_memory(os.path.join(proc, "meminfo"))
    doc = empty_doc(container)
    doc["read"] = timefmt.now_rfc3339()
    if found.unified_mode:
        d = cgroup_dir(container, "", defaults=defaults, hierarchies=found)
        doc.update(_sample_v2(d, host_memory))
    else:

        def dirs(controller: str) -> str:
            return cgroup_dir(container, controller, defaults=defaults, hierarchies=found)

        doc.update(_sample_v1(dirs, host_memory))
    system, cpus = system_cpu(os.path.join(proc, "stat"))
    doc["cpu_stats"]["system_cpu_usage"] = system
    doc["cpu_stats"]["online_cpus"] = cpus
    mode = str(container.host_config.get("NetworkMode") or "")
    if mode not in ("none", "host") and not container.config.get("NetworkDisabled"):
        try:
            with open(os.path.join(proc, str(container.state.pid), "net", "dev")) as f:
                networks = net_dev(f.read())
        except OSError:
            networks = {}
        if networks:
            doc["networks"] = networks
    return doc


# -- the stream ------------------------------------------------------------------------------


async def stats(
    container: Container,
    *,
    stream: bool,
    one_shot: bool,
    defaults: Defaults,
    running: Callable[[], bool],
    hierarchies: Hierarchies | None = None,
    interval: float = 1.0,
    proc: str = "/proc",
) -> AsyncIterator[dict[str, Any]]:
    """GET /containers/{id}/stats: documents as moby's ContainerStats sends them."""
    if not stream and not running():
        yield empty_doc(container)
        return
    pre_cpu, pre_read = empty_cpu_stats(), ZERO_TIME
    priming = not stream and not one_shot
    while True:
        doc = empty_doc(container)
        if running():
            try:
                doc = await asyncio.to_thread(
                    sample, container, defaults=defaults, hierarchies=hierarchies, proc=proc
                )
            except errdefs.NotFound:
                pass  # the container exited between the check and the read
            except (errdefs.DockyardError, OSError, ValueError) as err:
                log.error("failed to collect stats for %s: %s", container.id[:12], err)
        doc["precpu_stats"], doc["preread"] = pre_cpu, pre_read
        pre_cpu, pre_read = doc["cpu_stats"], doc["read"]
        if priming:
            priming = False
        else:
            yield doc
            if not stream:
                return
        await asyncio.sleep(interval)
