"""`dockyard volume inspect`: display detailed information on one or more volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format.inspect import inspect_each
    from dockyard.client import volumes

    inspect_each(
        cli.out, args, lambda name: volumes.inspect(cli.client, name), fmt=opts.string("format")
    )
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] VOLUME [VOLUME...]",
    short="Display detailed information on one or more volumes",
    run=run,
    min_args=1,
    flags=flags(Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP)),
)
