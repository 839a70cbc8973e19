"""`dockyard container inspect`: display detailed information on one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format.inspect import inspect_each
    from dockyard.client import containers

    size = opts.boolean("size")
    inspect_each(
        cli.out,
        args,
        lambda ref: containers.inspect(cli.client, ref, size=size),
        fmt=opts.string("format"),
    )
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Display detailed information on one or more containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP),
        Flag(name="size", short="s", help="Display total file sizes"),
    ),
)
