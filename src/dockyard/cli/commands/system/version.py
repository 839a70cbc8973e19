"""`dockyard version`: the client's and the daemon's versions, in docker's layout."""

from __future__ import annotations

import os
import sys

from dockyard.cli.command import Command, Flag, StatusError, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

DEFAULT_API_VERSION = "1.51"


def dockyard_version() -> str:
    from dockyard import __version__

    return __version__


def git_commit() -> str:
    """The short commit of the checkout dockyard runs from, "unknown" when not a checkout."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    git = os.path.join(root, "..", "..", "..", ".git")
    git = os.path.normpath(git)
    try:
        with open(os.path.join(git, "HEAD")) as f:
            head = f.read().strip()
        if not head.startswith("ref: "):
            return head[:7]
        ref = head[5:]
        try:
            with open(os.path.join(git, ref)) as f:
                return f.read().strip()[:7]
        except FileNotFoundError:
            with open(os.path.join(git, "packed-refs")) as f:
                for line in f:
                    sha, _, name = line.strip().partition(" ")
                    if name == ref:
                        return sha[:7]
    except OSError:
        pass
    return "unknown"


def version_line() -> str:
    """`dockyard --version`: "Dockyard version 0.1.0, build 1a2b3c4"."""
    return f"Dockyard version {dockyard_version()}, build {git_commit()}"


def go_arch() -> str:
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64", "armv7l": "arm", "i686": "386"}.get(
        machine, machine
    )


_DAYS = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def reformat_date(value: str) -> str:
    """docker's reformatDate: an RFC 3339 time as Go's ANSIC ("Fri May 30 12:07:14 2025"),
    in the zone it names (the wall time as written); anything else unchanged. By hand:
    `datetime` costs a millisecond of every `dockyard version`."""
    date, t, clock = value.partition("T")
    parts = date.split("-")
    fields = clock[:8].split(":")
    zone = clock[8:].lstrip(".0123456789")
    if not t or len(parts) != 3 or len(fields) != 3 or not _is_zone(zone):
        return value
    try:
        year, month, day = (int(p) for p in parts)
        hour, minute, second = (int(f) for f in fields)
    except ValueError:
        return value
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour < 24 and minute < 60 and second < 61):
        return value
    return (
        f"{_DAYS[_weekday(year, month, day)]} {_MONTHS[month - 1]} {day:2d} "
        f"{hour:02d}:{minute:02d}:{second:02d} {year}"
    )


def _is_zone(zone: str) -> bool:
    if zone in ("Z", "z"):
        return True
    return (
        len(zone) == 6 and zone[0] in "+-" and zone[3] == ":" and (zone[1:3] + zone[4:]).isdigit()
    )


def _weekday(year: int, month: int, day: int) -> int:
    """0 = Sunday (Sakamoto's method, proleptic Gregorian)."""
    offsets = (0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4)
    if month < 3:
        year -= 1
    return (year + year // 4 - year // 100 + year // 400 + offsets[month - 1] + day) % 7


def client_version(cli: Cli, api_version: str) -> dict[str, Any]:
    """The Client half (docker's clientVersion, JSON field names and order)."""
    from dockyard.cli.commands.context.show import current_context

    return {
        "Version": dockyard_version(),
        "ApiVersion": api_version,
        "DefaultAPIVersion": DEFAULT_API_VERSION,
        "GitCommit": git_commit(),
        "PythonVersion": sys.version.split()[0],
        "Os": sys.platform if sys.platform != "linux" else "linux",
        "Arch": go_arch(),
        "Context": current_context(cli),
    }


def render_default(data: dict[str, Any]) -> str:
    """docker's defaultVersionTemplate, as text with tabs for `align`."""
    c = data["Client"]
    api = c["ApiVersion"]
    if api and api != c["DefaultAPIVersion"]:
        api += f" (downgraded from {c['DefaultAPIVersion']})"
    lines = [
        "Client:",
        f" Version:\t{c['Version']}",
        f" API version:\t{api}",
        f" Python version:\t{c['PythonVersion']}",
        f" Git commit:\t{c['GitCommit']}",
        f" OS/Arch:\t{c['Os']}/{c['Arch']}",
        f" Context:\t{c['Context']}",
    ]
    server = data.get("Server")
    if server is not None:
        name = (server.get("Platform") or {}).get("Name", "")
        lines += ["", "Server:" + (f" {name}" if name else "")]
        for comp in _components(server):
            lines += _component_lines(comp)
    return "\n".join(lines)


def _components(server: dict[str, Any]) -> list[dict[str, Any]]:
    comps = list(server.get("Components") or [])
    if not any(c.get("Name") == "Engine" for c in comps):
        comps.append(
            {
                "Name": "Engine",
                "Version": server.get("Version", ""),
                "Details": {
                    "ApiVersion": server.get("ApiVersion", ""),
                    "MinAPIVersion": server.get("MinAPIVersion", ""),
                    "GitCommit": server.get("GitCommit", ""),
                    "GoVersion": server.get("GoVersion", ""),
                    "Os": server.get("Os", ""),
                    "Arch": server.get("Arch", ""),
                    "BuildTime": reformat_date(str(server.get("BuildTime", ""))),
                    "Experimental": "true" if server.get("Experimental") else "false",
                },
            }
        )
    return comps


def _component_lines(comp: dict[str, Any]) -> list[str]:
    details = {k: str(v) for k, v in (comp.get("Details") or {}).items()}
    lines = [f" {comp.get('Name', '')}:"]
    if comp.get("Name") == "Engine":
        d = details.get
        lines += [
            f"  Version:\t{comp.get('Version', '')}",
            f"  API version:\t{d('ApiVersion', '')} (minimum version {d('MinAPIVersion', '')})",
            f"  Go version:\t{d('GoVersion', '')}",
            f"  Git commit:\t{d('GitCommit', '')}",
            f"  Built:\t{d('BuildTime', '')}",
            f"  OS/Arch:\t{d('Os', '')}/{d('Arch', '')}",
            f"  Experimental:\t{d('Experimental', '')}",
        ]
        return lines
    lines.append(f"  Version:\t{comp.get('Version', '')}")
    # docker's getDetailsOrder: the details sorted by key.
    lines += [f"  {key}:\t{details[key]}" for key in sorted(details)]
    return lines


class GoVersion(dict["str", "Any"]):  # strings: typing is not imported at run time
    """A version document as docker's templates see it: JSON keys, plus the Go field names
    that differ from them (`{{.Server.APIVersion}}` reads the JSON's "ApiVersion"; `{{json .}}`
    still prints the JSON keys)."""

    @property
    def APIVersion(self) -> Any:
        return self.get("ApiVersion")


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.system.templating import compile_format, execute
    from dockyard.cli.format.tabwriter import align

    fmt = opts.string("format")
    template = compile_format(fmt) if fmt else None
    server: dict[str, Any] | None = None
    failure: errdefs.DockyardError | None = None
    api_version = DEFAULT_API_VERSION  # what the client speaks when no daemon answers
    try:
        from dockyard.client import system

        server = system.version(cli.client)
        api_version = cli.client.api_version
        for comp in server.get("Components") or []:
            details = comp.get("Details") or {}
            if comp.get("Name") == "Engine" and "BuildTime" in details:
                details["BuildTime"] = reformat_date(str(details["BuildTime"]))
    except errdefs.DockyardError as err:
        failure = err
    data = {
        "Client": GoVersion(client_version(cli, api_version)),
        "Server": GoVersion(server) if server is not None else None,
    }
    try:
        if template is None:
            # docker's version writes through tabwriter.NewWriter(out, 20, 1, 1, ' ', 0)
            cli.out.write(align(render_default(data), minwidth=20, padding=1) + "\n")
        else:
            cli.out.write(execute(template, data) + "\n")
    except StatusError:
        if failure is None:
            raise
    if failure is not None:  # docker reports the daemon's error before a template's
        raise failure
    return 0


COMMAND = Command(
    name="version",
    usage="[OPTIONS]",
    short="Show the Docker version information",
    run=run,
    max_args=0,
    flags=flags(Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP)),
)
