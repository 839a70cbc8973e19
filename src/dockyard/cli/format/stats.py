"""`docker stats` rows (docker/cli cli/command/container/formatter_stats.go, stats_helpers.go).

`entry_from_stats(raw)` turns one GET /containers/{id}/stats sample into a StatsEntry as
docker's Linux client computes it: CPU % from the sample's cpu_stats against its
precpu_stats (times the online CPUs), memory usage without the inactive file cache
(cgroup v1 `total_inactive_file`, v2 `inactive_file`), block I/O from
io_service_bytes_recursive, network from every interface. `write` renders entries.
"""

from __future__ import annotations

from dockyard.cli.format import formatter
from dockyard.cli.format.display import truncate_id
from dockyard.cli.format.units import bytes_size, human_size
from dockyard.utils.record import record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = (
    "table {{.ID}}\\t{{.Name}}\\t{{.CPUPerc}}\\t{{.MemUsage}}\\t{{.MemPerc}}\\t{{.NetIO}}\\t"
    "{{.BlockIO}}\\t{{.PIDs}}"
)
HEADER = {
    "Container": "CONTAINER",
    "Name": "NAME",
    "ID": "CONTAINER ID",
    "CPUPerc": "CPU %",
    "MemUsage": "MEM USAGE / LIMIT",
    "MemPerc": "MEM %",
    "NetIO": "NET I/O",
    "BlockIO": "BLOCK I/O",
    "PIDs": "PIDS",
}
NO_VALUE = "--"


@record(frozen=True, kw_only=True)
class StatsEntry:
    """docker's StatsEntry: one container's numbers (Container is the name or ID asked for)."""

    container: str = ""
    name: str = ""
    id: str = ""
    cpu_percentage: float = 0.0
    memory: float = 0.0
    memory_limit: float = 0.0
    memory_percentage: float = 0.0
    network_rx: float = 0.0
    network_tx: float = 0.0
    block_read: float = 0.0
    block_write: float = 0.0
    pids_current: int = 0
    is_invalid: bool = False


def cpu_percent(raw: dict[str, Any]) -> float:
    """calculateCPUPercentUnix."""
    cpu = raw.get("cpu_stats") or {}
    pre = raw.get("precpu_stats") or {}
    cpu_delta = float((cpu.get("cpu_usage") or {}).get("total_usage") or 0) - float(
        (pre.get("cpu_usage") or {}).get("total_usage") or 0
    )
    system_delta = float(cpu.get("system_cpu_usage") or 0) - float(pre.get("system_cpu_usage") or 0)
    online = float(cpu.get("online_cpus") or 0)
    if online == 0.0:
        online = float(len((cpu.get("cpu_usage") or {}).get("percpu_usage") or ()))
    if system_delta > 0.0 and cpu_delta > 0.0:
        return (cpu_delta / system_delta) * online * 100.0
    return 0.0


def memory_usage(mem: dict[str, Any]) -> float:
    """calculateMemUsageUnixNoCache: usage minus the inactive file cache."""
    usage = int(mem.get("usage") or 0)
    stats = mem.get("stats") or {}
    if "total_inactive_file" in stats and stats["total_inactive_file"] < usage:
        return float(usage - stats["total_inactive_file"])
    inactive = int(stats.get("inactive_file") or 0)
    if inactive < usage:
        return float(usage - inactive)
    return float(usage)


def block_io(blkio: dict[str, Any]) -> tuple[float, float]:
    read = write = 0
    for entry in blkio.get("io_service_bytes_recursive") or ():
        op = str(entry.get("op") or "")
        if op[:1] in ("r", "R"):
            read += int(entry.get("value") or 0)
        elif op[:1] in ("w", "W"):
            write += int(entry.get("value") or 0)
    return float(read), float(write)


def entry_from_stats(raw: dict[str, Any], *, container: str = "") -> StatsEntry:
    """A StatsEntry from one stats sample (Linux)."""
    mem = raw.get("memory_stats") or {}
    used = memory_usage(mem)
    limit = float(mem.get("limit") or 0)
    read, write = block_io(raw.get("blkio_stats") or {})
    nets = (raw.get("networks") or {}).values()
    return StatsEntry(
        container=container,
        name=str(raw.get("name") or ""),
        id=str(raw.get("id") or ""),
        cpu_percentage=cpu_percent(raw),
        memory=used,
        memory_limit=limit,
        memory_percentage=used / limit * 100.0 if limit else 0.0,
        network_rx=float(sum(int(n.get("rx_bytes") or 0) for n in nets)),
        network_tx=float(sum(int(n.get("tx_bytes") or 0) for n in nets)),
        block_read=read,
        block_write=write,
        pids_current=int((raw.get("pids_stats") or {}).get("current") or 0),
    )


def _percentage(value: float) -> str:
    return f"{value:.2f}%"


class StatsContext(formatter.Context):
    GO_TYPE = "*container.statsContext"
    FIELDS = (
        "BlockIO",
        "CPUPerc",
        "Container",
        "ID",
        "MemPerc",
        "MemUsage",
        "Name",
        "NetIO",
        "PIDs",
    )
    __slots__ = ("s", "trunc")

    def __init__(self, s: StatsEntry, *, trunc: bool = True) -> None:
        self.s = s
        self.trunc = trunc

    def Container(self) -> str:  # docker's field names are the methods' names
        return self.s.container

    def Name(self) -> str:
        return self.s.name[1:] if len(self.s.name) > 1 else NO_VALUE

    def ID(self) -> str:
        return truncate_id(self.s.id) if self.trunc else self.s.id

    def CPUPerc(self) -> str:
        return NO_VALUE if self.s.is_invalid else _percentage(self.s.cpu_percentage)

    def MemUsage(self) -> str:
        if self.s.is_invalid:
            return "-- / --"
        return bytes_size(self.s.memory) + " / " + bytes_size(self.s.memory_limit)

    def MemPerc(self) -> str:
        return NO_VALUE if self.s.is_invalid else _percentage(self.s.memory_percentage)

    def NetIO(self) -> str:
        if self.s.is_invalid:
            return NO_VALUE
        return human_size(self.s.network_rx, 3) + " / " + human_size(self.s.network_tx, 3)

    def BlockIO(self) -> str:
        if self.s.is_invalid:
            return NO_VALUE
        return human_size(self.s.block_read, 3) + " / " + human_size(self.s.block_write, 3)

    def PIDs(self) -> str:
        return NO_VALUE if self.s.is_invalid else str(self.s.pids_current)


def stats_format(source: str) -> str:
    """docker's NewStatsFormat ("" is "table", or the config's statsFormat)."""
    return DEFAULT_TABLE if source in ("", formatter.TABLE) else source


def render(entries: Iterable[StatsEntry], *, fmt: str = "", trunc: bool = True) -> str:
    """The text of one refresh (the streaming command clears the screen between them)."""
    rows = [StatsContext(e, trunc=trunc) for e in entries]
    return formatter.render(stats_format(fmt), rows, HEADER)


def write(out: TextIO, entries: Iterable[StatsEntry], *, fmt: str = "", trunc: bool = True) -> None:
    """`docker stats`."""
    out.write(render(entries, fmt=fmt, trunc=trunc))
