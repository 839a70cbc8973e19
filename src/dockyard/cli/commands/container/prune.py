"""`dockyard container prune`: remove all stopped containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"
WARNING = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"


def parse_filters(cli: Cli, values: list[str], *, label: str, usage: str) -> dict[str, list[str]]:
    """docker's FilterOpt: "key=value" pairs, repeated keys collect their values; a value
    without "=" is a flag error (pflag's text, status 125)."""
    from dockyard.cli.opts.errors import FlagValueError, flag_status

    found: dict[str, list[str]] = {}
    for value in values:
        key, sep, val = value.partition("=")
        if not sep:
            reason = "bad format of filter (expected name=value)"
            raise flag_status(cli, usage, FlagValueError(label, value, reason))
        key = key.strip().lower()
        found.setdefault(key, [])
        if val.strip() not in found[key]:
            found[key].append(val.strip())
    return found


def confirm(cli: Cli, message: str) -> bool:
    """docker's prompt.Confirm: "<message> [y/N] ", yes only for y/Y (a line of stdin)."""
    cli.out.write(message + " [y/N] ")
    cli.out.flush()
    line = cli.stdin.readline().decode(errors="replace").strip()
    return line.lower() == "y"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format.units import human_size
    from dockyard.client import containers

    filters = parse_filters(cli, opts.strings("filter"), label="--filter", usage=USAGE)
    if not opts.boolean("force") and not confirm(cli, WARNING):
        return 0  # docker's cancelled error: nothing printed, status 0
    report = containers.prune(cli.client, filters=filters)
    deleted = report.get("ContainersDeleted") or []
    reclaimed = 0
    if deleted:
        cli.out.write("Deleted Containers:\n" + "".join(f"{i}\n" for i in deleted) + "\n")
        reclaimed = int(report.get("SpaceReclaimed") or 0)
    cli.out.write(f"Total reclaimed space: {human_size(reclaimed)}\n")
    return 0


COMMAND = Command(
    name="prune",
    usage=USAGE,
    short="Remove all stopped containers",
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="filter",
            type="filter",
            help='Provide filter values (e.g. "until=<timestamp>")',
        ),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
