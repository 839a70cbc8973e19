"""`docker volume ls` rows: volumeContext (docker/cli cli/command/formatter/volume.go).

Fields: Name, Driver, Scope, Mountpoint, Labels, Label "k", Links, Size, Group,
Availability, Status. Volumes are listed in natural order of their names, as `volume ls`
sorts them.
"""

from __future__ import annotations

from dockyard.cli.format import formatter
from dockyard.cli.format.display import join_labels, natural_key
from dockyard.cli.format.units import human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = "table {{.Driver}}\\t{{.Name}}"
QUIET_FORMAT = "{{.Name}}"
HEADER = {
    "ID": "ID",
    "Name": "VOLUME NAME",
    "Group": "GROUP",
    "Driver": "DRIVER",
    "Scope": "SCOPE",
    "Availability": "AVAILABILITY",
    "Mountpoint": "MOUNTPOINT",
    "Labels": "LABELS",
    "Links": "LINKS",
    "Size": "SIZE",
    "Status": "STATUS",
}


def volume_format(source: str, *, quiet: bool) -> str:
    """docker's NewVolumeFormat ("" is "table", as `volume ls` turns it into)."""
    if source in ("", formatter.TABLE):
        return QUIET_FORMAT if quiet else DEFAULT_TABLE
    if source == formatter.RAW:
        return "name: {{.Name}}" if quiet else "name: {{.Name}}\\ndriver: {{.Driver}}\\n"
    return source


class VolumeContext(formatter.Context):
    GO_TYPE = "*formatter.volumeContext"
    FIELDS = (
        "Availability",
        "Driver",
        "Group",
        "Labels",
        "Links",
        "Mountpoint",
        "Name",
        "Scope",
        "Size",
        "Status",
    )
    __slots__ = ("v",)

    def __init__(self, v: dict[str, Any]) -> None:
        self.v = v

    def Name(self) -> str:  # docker's field names are the methods' names
        return str(self.v.get("Name") or "")

    def Driver(self) -> str:
        return str(self.v.get("Driver") or "")

    def Scope(self) -> str:
        return str(self.v.get("Scope") or "")

    def Mountpoint(self) -> str:
        return str(self.v.get("Mountpoint") or "")

    def Labels(self) -> str:
        return join_labels(self.v.get("Labels"))

    def Label(self, name: str) -> str:
        return str((self.v.get("Labels") or {}).get(name, ""))

    def Links(self) -> str:
        usage = self.v.get("UsageData")
        return "N/A" if not usage else str(usage.get("RefCount", 0))

    def Size(self) -> str:
        usage = self.v.get("UsageData")
        return "N/A" if not usage else human_size(usage.get("Size", 0))

    def Group(self) -> str:
        cluster = self.v.get("ClusterVolume")
        return "N/A" if not cluster else str((cluster.get("Spec") or {}).get("Group", ""))

    def Availability(self) -> str:
        cluster = self.v.get("ClusterVolume")
        return "N/A" if not cluster else str((cluster.get("Spec") or {}).get("Availability", ""))

    def Status(self) -> str:
        cluster = self.v.get("ClusterVolume")
        if not cluster:
            return "N/A"
        if not (cluster.get("Info") or {}).get("VolumeID"):
            return "pending creation"
        count = len(cluster.get("PublishStatus") or ())
        if count == 0:
            return "created"
        return "in use (1 node)" if count == 1 else f"in use ({count} nodes)"


def write(
    out: TextIO, items: Iterable[dict[str, Any]], *, fmt: str = "", quiet: bool = False
) -> None:
    """`docker volume ls`: items are the `Volumes` of GET /volumes; fmt is --format or
    volumesFormat."""
    ordered = sorted(items, key=lambda v: natural_key(str(v.get("Name") or "")))
    formatter.write(
        out, volume_format(fmt, quiet=quiet), [VolumeContext(v) for v in ordered], HEADER
    )
