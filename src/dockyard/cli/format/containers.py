"""`docker ps` rows: ContainerContext (docker/cli cli/command/formatter/container.go).

Rows are the daemon's container summaries (GET /containers/json). Field names and the
default table are docker's: ID, Image, Command, CreatedAt, RunningFor, Ports, State,
Status, Size, Names, Labels, Label "k", Mounts, Networks, LocalVolumes, Platform.
"""

from __future__ import annotations

import time

from dockyard.cli.format import formatter
from dockyard.cli.format.display import (
    ellipsis,
    familiar_name,
    is_valid_name,
    split_reference,
    truncate_id,
)
from dockyard.cli.format.gofmt import quote
from dockyard.cli.format.ports import displayable_ports
from dockyard.cli.format.units import go_time_string, human_duration, human_size

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any, TextIO

DEFAULT_TABLE = (
    "table {{.ID}}\\t{{.Image}}\\t{{.Command}}\\t{{.RunningFor}}\\t{{.Status}}\\t{{.Ports}}\\t"
    "{{.Names}}"
)
RAW_FORMAT = """container_id: {{.ID}}
image: {{.Image}}
command: {{.Command}}
created_at: {{.CreatedAt}}
state: {{- pad .State 1 0}}
status: {{- pad .Status 1 0}}
names: {{.Names}}
labels: {{- pad .Labels 1 0}}
ports: {{- pad .Ports 1 0}}
"""
HEADER = {
    "ID": "CONTAINER ID",
    "Names": "NAMES",
    "Image": "IMAGE",
    "Command": "COMMAND",
    "CreatedAt": "CREATED AT",
    "RunningFor": "CREATED",
    "Ports": "PORTS",
    "State": "STATE",
    "Status": "STATUS",
    "Size": "SIZE",
    "Labels": "LABELS",
    "Mounts": "MOUNTS",
    "LocalVolumes": "LOCAL VOLUMES",
    "Networks": "NETWORKS",
    "Platform": "PLATFORM",
}


def container_format(source: str, *, quiet: bool, size: bool) -> str:
    """docker's NewContainerFormat."""
    if source in (formatter.TABLE, "") and not quiet:
        return DEFAULT_TABLE + ("\\t{{.Size}}" if size else "")
    if source == formatter.RAW and not quiet:
        return RAW_FORMAT + ("size: {{.Size}}\\n" if size else "")
    if source == formatter.RAW:
        return "container_id: {{.ID}}"
    return formatter.choose(source, default_table=DEFAULT_TABLE, quiet=quiet)


class ContainerContext(formatter.Context):
    GO_TYPE = "*formatter.ContainerContext"
    FIELDS = (
        "Command",
        "CreatedAt",
        "ID",
        "Image",
        "Labels",
        "LocalVolumes",
        "Mounts",
        "Names",
        "Networks",
        "Platform",
        "Ports",
        "RunningFor",
        "Size",
        "State",
        "Status",
    )
    __slots__ = ("c", "now", "trunc")

    def __init__(self, c: dict[str, Any], *, trunc: bool = True, now: float | None = None) -> None:
        self.c = c
        self.trunc = trunc
        self.now = now

    def ID(self) -> str:  # docker's field names are the methods' names
        ident = str(self.c.get("Id") or "")
        return truncate_id(ident) if self.trunc else ident

    def Names(self) -> str:
        names = [n[1:] for n in self.c.get("Names") or ()]
        if self.trunc:
            for name in names:
                if "/" not in name:  # a link's name has a slash ("/web/db"): dropped
                    names = [name]
                    break
        return ",".join(names)

    def Image(self) -> str:
        image = str(self.c.get("Image") or "")
        if not image:
            return "<no image>"
        if self.trunc:
            short = truncate_id(str(self.c.get("ImageID") or ""))
            if short == truncate_id(image):
                return short
            name, tag, _digest = split_reference(image)
            if is_valid_name(name):
                return familiar_name(name) + (":" + tag if tag else "")
        return image

    def Command(self) -> str:
        command = str(self.c.get("Command") or "")
        return quote(ellipsis(command, 20) if self.trunc else command)

    def CreatedAt(self) -> str:
        return go_time_string(int(self.c.get("Created") or 0))

    def RunningFor(self) -> str:
        now = time.time() if self.now is None else self.now
        return human_duration(now - int(self.c.get("Created") or 0)) + " ago"

    def Platform(self) -> str | None:
        desc = self.c.get("ImageManifestDescriptor") or {}
        platform = desc.get("platform") if isinstance(desc, dict) else None
        if not platform:
            return None
        parts = [platform.get("os", ""), platform.get("architecture", "")]
        if platform.get("variant"):
            parts.append(platform["variant"])
        return "/".join(parts)

    def Ports(self) -> str:
        return displayable_ports(self.c.get("Ports"))

    def State(self) -> str:
        return str(self.c.get("State") or "")

    def Status(self) -> str:
        return str(self.c.get("Status") or "")

    def Size(self) -> str:
        rw = human_size(int(self.c.get("SizeRw") or 0), 3)
        root = int(self.c.get("SizeRootFs") or 0)
        return f"{rw} (virtual {human_size(root, 3)})" if root > 0 else rw

    def Labels(self) -> str:
        labels = self.c.get("Labels") or {}
        return ",".join(sorted(f"{k}={v}" for k, v in labels.items()))

    def Label(self, name: str) -> str:
        return str((self.c.get("Labels") or {}).get(name, ""))

    def Mounts(self) -> str:
        names = []
        for mount in self.c.get("Mounts") or ():
            name = mount.get("Name") or mount.get("Source") or ""
            names.append(ellipsis(name, 15) if self.trunc else name)
        return ",".join(names)

    def LocalVolumes(self) -> str:
        return str(sum(1 for m in self.c.get("Mounts") or () if m.get("Driver") == "local"))

    def Networks(self) -> str:
        # Go ranges over a map (random order); sorted here so output is stable
        settings = self.c.get("NetworkSettings") or {}
        return ",".join(sorted((settings.get("Networks") or {}).keys()))


def write(
    out: TextIO,
    items: Iterable[dict[str, Any]],
    *,
    fmt: str = "",
    quiet: bool = False,
    trunc: bool = True,
    size: bool = False,
    now: float | None = None,
) -> None:
    """`docker ps`: items are GET /containers/json entries; fmt is --format or psFormat."""
    chosen = container_format(fmt, quiet=quiet, size=size)
    stamp = time.time() if now is None else now
    rows = [ContainerContext(c, trunc=trunc, now=stamp) for c in items]
    formatter.write(out, chosen, rows, HEADER)


class _SizeProbe(ContainerContext):
    """An empty container that notes whether a template asks for .Size."""

    __slots__ = ("size_used",)

    def __init__(self) -> None:
        super().__init__({})
        self.size_used = False

    def Size(self) -> str:
        self.size_used = True
        return super().Size()


def check_format(source: str) -> bool:
    """What `docker ps --format X` does first: parse X as given (a leading "table" and all)
    and run it on an empty container. Raises errdefs.InvalidArgument "failed to parse
    template: ..." / "failed to execute template: ..."; answers whether .Size is used (then
    ps asks the daemon for sizes unless --size was given)."""
    from dockyard import errdefs
    from dockyard.cli.format.template import TemplateError, parse

    try:
        tmpl = parse(source)
    except TemplateError as err:
        raise errdefs.InvalidArgument(f"failed to parse template: {err}") from None
    probe = _SizeProbe()
    try:
        tmpl.execute(probe)
    except TemplateError as err:
        raise errdefs.InvalidArgument(f"failed to execute template: {err}") from None
    return probe.size_used
