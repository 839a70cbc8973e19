"""`dockyard network inspect`: display detailed information on one or more networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.commands.image.inspect import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.image.inspect import inspect_all
    from dockyard.client import networks

    verbose = opts.boolean("verbose")
    return inspect_all(
        cli,
        args,
        opts.string("format"),
        lambda ref: networks.inspect(cli.client, ref, verbose=verbose),
    )


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] NETWORK [NETWORK...]",
    short="Display detailed information on one or more networks",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP),
        Flag(name="verbose", short="v", help="Verbose output for diagnostics"),
    ),
)
