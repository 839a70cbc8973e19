"""`docker system df` (docker/cli cli/command/formatter/disk_usage.go, buildcache.go).

`write(out, usage, fmt=..., verbose=...)` takes the daemon's GET /system/df answer. The
summary is one row per kind (Images, Containers, Local Volumes, Build Cache) with TYPE TOTAL
ACTIVE SIZE RECLAIMABLE; `-v` prints a table per kind, or runs a custom template once on
{Images, Containers, Volumes, BuildCache} lists of row contexts.
"""

from __future__ import annotations

import time

from dockyard.cli.format import formatter
from dockyard.cli.format.containers import ContainerContext
from dockyard.cli.format.display import familiar_name, is_valid_name, split_reference, truncate_id
from dockyard.cli.format.images import ImageContext
from dockyard.cli.format.template import TemplateError
from dockyard.cli.format.units import go_time_string_rfc, human_duration, human_size, parse_rfc3339
from dockyard.cli.format.volumes import VolumeContext

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, TextIO

SUMMARY_TABLE = "table {{.Type}}\\t{{.TotalCount}}\\t{{.Active}}\\t{{.Size}}\\t{{.Reclaimable}}"
IMAGES_TABLE = (
    "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}\\t{{.CreatedSince}}\\t{{.Size}}\\t"
    "{{.SharedSize}}\\t{{.UniqueSize}}\\t{{.Containers}}"
)
CONTAINERS_TABLE = (
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.LocalVolumes}}\\t{{.Size}}\\t"
    "{{.RunningFor}}\\t{{.Status}}\\t{{.Names}}"
)
VOLUMES_TABLE = "table {{.Name}}\\t{{.Links}}\\t{{.Size}}"
BUILD_CACHE_TABLE = (
    "table {{.ID}}\\t{{.CacheType}}\\t{{.Size}}\\t{{.CreatedSince}}\\t{{.LastUsedSince}}\\t"
    "{{.UsageCount}}\\t{{.Shared}}"
)
SUMMARY_HEADER = {
    "Type": "TYPE",
    "TotalCount": "TOTAL",
    "Active": "ACTIVE",
    "Size": "SIZE",
    "Reclaimable": "RECLAIMABLE",
}
BUILD_CACHE_HEADER = {
    "ID": "CACHE ID",
    "Parent": "PARENT",
    "CacheType": "CACHE TYPE",
    "Size": "SIZE",
    "CreatedSince": "CREATED",
    "LastUsedSince": "LAST USED",
    "UsageCount": "USAGE",
    "InUse": "IN USE",
    "Shared": "SHARED",
    "Description": "DESCRIPTION",
}
_ACTIVE_STATES = frozenset({"running", "paused", "restarting"})


def _reclaimable(reclaimable: int, total: int) -> str:
    if total > 0:
        return f"{human_size(reclaimable)} ({reclaimable * 100 // total}%)"
    return human_size(reclaimable)


class Summary(formatter.Context):
    """One summary row (docker's diskUsage{Images,Containers,Volumes,Builder}Context)."""

    GO_TYPE = "*formatter.diskUsageContext"
    FIELDS = ("Active", "Reclaimable", "Size", "TotalCount", "Type")
    __slots__ = ("active", "reclaimable", "size", "total", "type")

    def __init__(self, kind: str, total: int, active: int, size: int, reclaimable: str) -> None:
        self.type = kind
        self.total = total
        self.active = active
        self.size = size
        self.reclaimable = reclaimable

    def Type(self) -> str:  # docker's field names are the methods' names
        return self.type

    def TotalCount(self) -> str:
        return str(self.total)

    def Active(self) -> str:
        return str(self.active)

    def Size(self) -> str:
        return human_size(self.size)

    def Reclaimable(self) -> str:
        return self.reclaimable


def summaries(usage: dict[str, Any]) -> list[Summary]:
    images = usage.get("Images") or []
    layers = int(usage.get("LayersSize") or 0)
    used = sum(
        i["Size"] - i["SharedSize"]
        for i in images
        if i.get("Containers", 0) != 0 and i.get("Size", -1) != -1 and i.get("SharedSize", -1) != -1
    )
    rows = [
        Summary(
            "Images",
            len(images),
            sum(1 for i in images if (i.get("Containers") or 0) > 0),
            layers,
            _reclaimable(layers - used, layers),
        )
    ]
    ctrs = usage.get("Containers") or []
    size = sum(int(c.get("SizeRw") or 0) for c in ctrs)
    idle = sum(int(c.get("SizeRw") or 0) for c in ctrs if c.get("State") not in _ACTIVE_STATES)
    active = sum(1 for c in ctrs if c.get("State") in _ACTIVE_STATES)
    rows.append(Summary("Containers", len(ctrs), active, size, _reclaimable(idle, size)))
    vols = usage.get("Volumes") or []
    data = [v.get("UsageData") or {"Size": -1, "RefCount": 0} for v in vols]
    vsize = sum(d["Size"] for d in data if d.get("Size", -1) != -1)
    vfree = sum(d["Size"] for d in data if d.get("Size", -1) != -1 and d.get("RefCount") == 0)
    vactive = sum(1 for d in data if (d.get("RefCount") or 0) > 0)
    rows.append(Summary("Local Volumes", len(vols), vactive, vsize, _reclaimable(vfree, vsize)))
    cache = usage.get("BuildCache") or []
    bsize = sum(int(b.get("Size") or 0) for b in cache if not b.get("Shared"))
    in_use = sum(int(b.get("Size") or 0) for b in cache if b.get("InUse") and not b.get("Shared"))
    rows.append(
        Summary(
            "Build Cache",
            len(cache),
            sum(1 for b in cache if b.get("InUse")),
            bsize,
            human_size(bsize - in_use),
        )
    )
    return rows


class BuildCacheContext(formatter.Context):
    GO_TYPE = "*formatter.buildCacheContext"
    FIELDS = (
        "CacheType",
        "CreatedAt",
        "CreatedSince",
        "Description",
        "ID",
        "InUse",
        "LastUsedAt",
        "LastUsedSince",
        "Parent",
        "Shared",
        "Size",
        "UsageCount",
    )
    __slots__ = ("now", "trunc", "v")

    def __init__(self, v: dict[str, Any], *, trunc: bool, now: float) -> None:
        self.v = v
        self.trunc = trunc
        self.now = now

    def ID(self) -> str:
        ident = str(self.v.get("ID") or "")
        ident = truncate_id(ident) if self.trunc else ident
        return ident + "*" if self.v.get("InUse") else ident

    def Parent(self) -> str:
        parents = self.v.get("Parents") or []
        parent = ", ".join(parents) if parents else str(self.v.get("Parent") or "")
        return truncate_id(parent) if self.trunc else parent

    def CacheType(self) -> str:
        return str(self.v.get("Type") or "")

    def Description(self) -> str:
        return str(self.v.get("Description") or "")

    def Size(self) -> str:
        return human_size(int(self.v.get("Size") or 0), 3)

    def CreatedAt(self) -> str:
        return go_time_string_rfc(str(self.v.get("CreatedAt") or ""))

    def CreatedSince(self) -> str:
        created = parse_rfc3339(str(self.v.get("CreatedAt") or "0001-01-01T00:00:00Z"))
        return human_duration(self.now - created) + " ago"

    def LastUsedAt(self) -> str:
        last = self.v.get("LastUsedAt")
        return go_time_string_rfc(str(last)) if last else ""

    def LastUsedSince(self) -> str:
        last = self.v.get("LastUsedAt")
        return human_duration(self.now - parse_rfc3339(str(last))) + " ago" if last else ""

    def UsageCount(self) -> str:
        return str(int(self.v.get("UsageCount") or 0))

    def InUse(self) -> str:
        return "true" if self.v.get("InUse") else "false"

    def Shared(self) -> str:
        return "true" if self.v.get("Shared") else "false"


def _cache_key(b: dict[str, Any]) -> tuple[int, float, str]:
    last = b.get("LastUsedAt")
    return (
        (0, 0.0, str(b.get("ID"))) if not last else (1, parse_rfc3339(str(last)), str(b.get("ID")))
    )


def _verbose_rows(usage: dict[str, Any], *, trunc: bool, now: float) -> dict[str, list[Any]]:
    images = []
    for i in usage.get("Images") or []:
        repo = tag = "<none>"
        tags = i.get("RepoTags") or []
        dangling = tags == ["<none>:<none>"] and (i.get("RepoDigests") or []) == ["<none>@<none>"]
        if tags and not dangling:
            name, found, _ = split_reference(tags[0])
            if not is_valid_name(name):
                continue
            if found:
                repo, tag = familiar_name(name), found
        images.append(ImageContext(i, repo, tag, "", trunc=trunc, now=now))
    containers = [
        ContainerContext({**c, "SizeRootFs": 0}, trunc=trunc, now=now)
        for c in usage.get("Containers") or []
    ]
    volumes = [VolumeContext(v) for v in usage.get("Volumes") or []]
    cache = sorted(usage.get("BuildCache") or [], key=_cache_key)
    return {
        "Images": images,
        "Containers": containers,
        "Volumes": volumes,
        "BuildCache": [BuildCacheContext(b, trunc=trunc, now=now) for b in cache],
    }


def write(
    out: TextIO,
    usage: dict[str, Any],
    *,
    fmt: str = "",
    verbose: bool = False,
    now: float | None = None,
) -> None:
    """`docker system df [-v]`."""
    from dockyard.cli.format import containers, images, volumes

    stamp = time.time() if now is None else now
    source = fmt or formatter.TABLE
    if not verbose:
        chosen = SUMMARY_TABLE if source == formatter.TABLE else source
        formatter.write(out, chosen, summaries(usage), SUMMARY_HEADER)
        return
    rows = _verbose_rows(usage, trunc=formatter.is_table(source), now=stamp)
    if source != formatter.TABLE:
        tmpl = formatter.compile_format(source)
        try:
            out.write(tmpl.execute(rows))
        except TemplateError as err:
            raise TemplateError(f"template parsing error: {err}") from None
        return
    out.write("Images space usage:\n\n")
    formatter.write(out, IMAGES_TABLE, rows["Images"], images.HEADER)
    out.write("\nContainers space usage:\n\n")
    formatter.write(out, CONTAINERS_TABLE, rows["Containers"], containers.HEADER)
    out.write("\nLocal Volumes space usage:\n\n")
    formatter.write(out, VOLUMES_TABLE, rows["Volumes"], volumes.HEADER)
    cache_size = sum(
        int(b.get("Size") or 0) for b in usage.get("BuildCache") or [] if not b.get("Shared")
    )
    out.write(f"\nBuild cache usage: {human_size(cache_size)}\n\n")
    formatter.write(out, BUILD_CACHE_TABLE, rows["BuildCache"], BUILD_CACHE_HEADER)
