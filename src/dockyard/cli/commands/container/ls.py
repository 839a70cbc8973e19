"""`dockyard container ls` (`dockyard ps`): list containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.filters import parse_filters
    from dockyard.cli.format import containers as formatter
    from dockyard.client import containers

    quiet = opts.boolean("quiet")
    fmt = opts.string("format")
    if not fmt:
        fmt = cli.config.ps_format or ""
    elif quiet:
        cli.err.write(
            "WARNING: Ignoring custom format, because both --format and --quiet are set.\n"
        )
    filters = parse_filters(opts.strings("filter"))
    limit = opts.integer("last")
    if opts.boolean("latest") and limit == -1:
        limit = 1
    size = opts.boolean("size")
    if fmt and not quiet and not size and formatter.check_format(fmt):
        # docker runs the template on an empty container first and asks the daemon for
        # sizes when it read .Size (`{{json .}}` reads every field): sizes cost a walk.
        size = True
    found = containers.list(
        cli.client, all=opts.boolean("all"), limit=limit, size=size, filters=filters
    )
    formatter.write(
        cli.out, found, fmt=fmt, quiet=quiet, trunc=not opts.boolean("no-trunc"), size=size
    )
    return 0


COMMAND = Command(
    name="ls",
    usage=USAGE,
    short="List containers",
    aliases=("ps", "list"),
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="all",
            short="a",
            help="Show all containers (default shows just running)",
        ),
        Flag(
            name="filter",
            short="f",
            type="filter",
            help="Filter output based on conditions provided",
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(
            name="last",
            short="n",
            type="int",
            default=-1,
            help="Show n last created containers (includes all states)",
            help_default="-1",
        ),
        Flag(
            name="latest",
            short="l",
            help="Show the latest created container (includes all states)",
        ),
        Flag(name="no-trunc", help="Don't truncate output"),
        Flag(name="quiet", short="q", help="Only display container IDs"),
        Flag(name="size", short="s", help="Display total file sizes"),
    ),
)
