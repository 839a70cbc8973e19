"""`dockyard context inspect`: display detailed information on one or more contexts."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.context.common import load
    from dockyard.cli.commands.context.show import current_context
    from dockyard.cli.format.inspect import inspect_each

    names = args or [current_context(cli)]
    inspect_each(cli.out, names, lambda name: load(cli, name).inspect(), fmt=opts.string("format"))
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] [CONTEXT] [CONTEXT...]",
    short="Display detailed information on one or more contexts",
    run=run,
    flags=flags(Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP)),
)
