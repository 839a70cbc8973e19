"""`docker network ls` rows: networkContext (docker/cli cli/command/network/formatter.go).

Fields: ID, Name, Driver, Scope, IPv4, IPv6, Internal, Labels, Label "k", CreatedAt.
Networks are listed in natural order of their names, as `docker network ls` sorts them.
"""

from __future__ import annotations

from dockyard.cli.format import formatter
from dockyard.cli.format.display import join_labels, natural_key, truncate_id
from dockyard.cli.format.units import go_time_string_rfc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = "table {{.ID}}\\t{{.Name}}\\t{{.Driver}}\\t{{.Scope}}"
HEADER = {
    "ID": "NETWORK ID",
    "Name": "NAME",
    "Driver": "DRIVER",
    "Scope": "SCOPE",
    "IPv4": "IPV4",
    "IPv6": "IPV6",
    "Internal": "INTERNAL",
    "Labels": "LABELS",
    "CreatedAt": "CREATED AT",
}


def network_format(source: str, *, quiet: bool) -> str:
    """docker's network NewFormat ("" is "table", as `network ls` turns it into)."""
    if source == formatter.RAW:
        if quiet:
            return "network_id: {{.ID}}"
        return "network_id: {{.ID}}\\nname: {{.Name}}\\ndriver: {{.Driver}}\\nscope: {{.Scope}}\\n"
    if source in ("", formatter.TABLE):
        return formatter.QUIET_FORMAT if quiet else DEFAULT_TABLE
    return source


def _bool(value: object) -> str:
    return "true" if value else "false"


class NetworkContext(formatter.Context):
    GO_TYPE = "*network.networkContext"
    FIELDS = ("CreatedAt", "Driver", "ID", "IPv4", "IPv6", "Internal", "Labels", "Name", "Scope")
    __slots__ = ("n", "trunc")

    def __init__(self, n: dict[str, Any], *, trunc: bool = True) -> None:
        self.n = n
        self.trunc = trunc

    def ID(self) -> str:  # docker's field names are the methods' names
        ident = str(self.n.get("Id") or "")
        return truncate_id(ident) if self.trunc else ident

    def Name(self) -> str:
        return str(self.n.get("Name") or "")

    def Driver(self) -> str:
        return str(self.n.get("Driver") or "")

    def Scope(self) -> str:
        return str(self.n.get("Scope") or "")

    def IPv4(self) -> str:
        return _bool(self.n.get("EnableIPv4"))

    def IPv6(self) -> str:
        return _bool(self.n.get("EnableIPv6"))

    def Internal(self) -> str:
        return _bool(self.n.get("Internal"))

    def Labels(self) -> str:
        return join_labels(self.n.get("Labels"))

    def Label(self, name: str) -> str:
        return str((self.n.get("Labels") or {}).get(name, ""))

    def CreatedAt(self) -> str:
        return go_time_string_rfc(str(self.n.get("Created") or ""))


def write(
    out: TextIO,
    items: Iterable[dict[str, Any]],
    *,
    fmt: str = "",
    quiet: bool = False,
    trunc: bool = True,
) -> None:
    """`docker network ls`: items are GET /networks entries; fmt is --format or networksFormat."""
    ordered = sorted(items, key=lambda n: natural_key(str(n.get("Name") or "")))
    rows = [NetworkContext(n, trunc=trunc) for n in ordered]
    formatter.write(out, network_format(fmt, quiet=quiet), rows, HEADER)
