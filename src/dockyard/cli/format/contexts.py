"""`docker context ls` rows: clientContextContext (docker/cli cli/command/formatter/context.go).

Items are dicts with Name, Description, DockerEndpoint, Current (bool) and Error; the
current context is marked " *" in the default table. Sorted by name (natural order).
"""

from __future__ import annotations

from dockyard.cli.format import formatter
from dockyard.cli.format.display import ellipsis, natural_key

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = (
    "table {{.Name}}{{if .Current}} *{{end}}\\t{{.Description}}\\t{{.DockerEndpoint}}\\t{{.Error}}"
)
QUIET_FORMAT = "{{.Name}}"
HEADER = {
    "Name": "NAME",
    "Description": "DESCRIPTION",
    "DockerEndpoint": "DOCKER ENDPOINT",
    "Error": "ERROR",
}


def context_format(source: str, *, quiet: bool) -> str:
    """docker's NewClientContextFormat ("" is "table")."""
    if quiet:
        return QUIET_FORMAT
    return DEFAULT_TABLE if source in ("", formatter.TABLE) else source


class ClientContext(formatter.Context):
    GO_TYPE = "*formatter.clientContextContext"
    FIELDS = ("Current", "Description", "DockerEndpoint", "Error", "Name")
    __slots__ = ("c",)

    def __init__(self, c: dict[str, Any]) -> None:
        self.c = c

    def Current(self) -> bool:  # docker's field names are the methods' names
        return bool(self.c.get("Current"))

    def Name(self) -> str:
        return str(self.c.get("Name") or "")

    def Description(self) -> str:
        return str(self.c.get("Description") or "")

    def DockerEndpoint(self) -> str:
        return str(self.c.get("DockerEndpoint") or "")

    def Error(self) -> str:
        return ellipsis(str(self.c.get("Error") or ""), 45)

    def __str__(self) -> str:
        # the Go type has an Error() method, so fmt prints it as an error: `{{$}}` is Error()
        return self.Error()


def write(
    out: TextIO, items: Iterable[dict[str, Any]], *, fmt: str = "", quiet: bool = False
) -> None:
    """`docker context ls`."""
    ordered = sorted(items, key=lambda c: natural_key(str(c.get("Name") or "")))
    formatter.write(
        out, context_format(fmt, quiet=quiet), [ClientContext(c) for c in ordered], HEADER
    )
