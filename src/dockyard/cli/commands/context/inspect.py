"""`dockyard context inspect`: display detailed information on one or more contexts."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.commands.system.version import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.context.common import load
    from dockyard.cli.commands.context.show import current_context
    from dockyard.cli.format import inspect as formatter

    names = args or [current_context(cli)]
    found: list[Any] = []
    for name in names:
        try:
            found.append(load(cli, name).inspect())
        except errdefs.DockyardError as err:
            found.append(formatter.InspectError(str(err)))
    formatter.write(cli.out, found, fmt=opts.string("format"))  # raises for the failures
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] [CONTEXT] [CONTEXT...]",
    short="Display detailed information on one or more contexts",
    run=run,
    flags=flags(Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP)),
)
