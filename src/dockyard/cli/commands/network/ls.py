"""`dockyard network ls`: list networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.filters import parse_filters
    from dockyard.cli.format import networks as network_format
    from dockyard.cli.format.formatter import choose_format
    from dockyard.client import networks

    found = networks.list(cli.client, filters=parse_filters(opts.strings("filter")))
    quiet = opts.boolean("quiet")
    fmt = choose_format(opts.string("format"), cli.config.data.get("networksFormat"), quiet=quiet)
    network_format.write(cli.out, found, fmt=fmt, quiet=quiet, trunc=not opts.boolean("no-trunc"))
    return 0


COMMAND = Command(
    name="ls",
    usage=USAGE,
    short="List networks",
    aliases=("list",),
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="filter",
            short="f",
            type="filter",
            help='Provide filter values (e.g. "driver=bridge")',
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="no-trunc", help="Do not truncate the output"),
        Flag(name="quiet", short="q", help="Only display network IDs"),
    ),
)
