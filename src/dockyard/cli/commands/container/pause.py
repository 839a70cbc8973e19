"""`dockyard container pause`: pause all processes within one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import containers

    return each(cli, args, lambda ref: containers.pause(cli.client, ref))


COMMAND = Command(
    name="pause",
    usage="CONTAINER [CONTAINER...]",
    short="Pause all processes within one or more containers",
    run=run,
    min_args=1,
)
