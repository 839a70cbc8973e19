"""`dockyard system df`: disk usage by images, containers, local volumes and build cache."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format import df
    from dockyard.client import system

    usage = system.df(cli.client)
    df.write(cli.out, usage, fmt=opts.string("format"), verbose=opts.boolean("verbose"))
    return 0


COMMAND = Command(
    name="df",
    usage="[OPTIONS]",
    short="Show docker disk usage",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="verbose", short="v", help="Show detailed information on space usage"),
    ),
)
