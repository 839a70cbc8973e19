"""`dockyard network disconnect`: disconnect a container from a network."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import networks

    networks.disconnect(cli.client, args[0], args[1], force=opts.boolean("force"))
    return 0


COMMAND = Command(
    name="disconnect",
    usage="[OPTIONS] NETWORK CONTAINER",
    short="Disconnect a container from a network",
    run=run,
    min_args=2,
    max_args=2,
    flags=flags(
        Flag(name="force", short="f", help="Force the container to disconnect from a network"),
    ),
)
