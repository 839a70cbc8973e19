"""`dockyard container kill`: kill one or more running containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import containers

    signal = opts.string("signal")
    return each(cli, args, lambda ref: containers.kill(cli.client, ref, signal=signal))


COMMAND = Command(
    name="kill",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Kill one or more running containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="signal", short="s", type="string", help="Signal to send to the container"),
    ),
)
