"""`dockyard container restart`: restart one or more containers (`stop`'s flags)."""

from __future__ import annotations

from dockyard.cli.command import Command, Options
from dockyard.cli.commands.container.stop import FLAGS, USAGE, stop_timeout

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import containers

    timeout, signal = stop_timeout(opts), opts.string("signal")
    return each(
        cli, args, lambda ref: containers.restart(cli.client, ref, timeout=timeout, signal=signal)
    )


COMMAND = Command(
    name="restart",
    usage=USAGE,
    short="Restart one or more containers",
    run=run,
    min_args=1,
    flags=FLAGS,
)
