"""`dockyard container unpause`: unpause all processes within one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import containers

    return each(cli, args, lambda ref: containers.unpause(cli.client, ref))


COMMAND = Command(
    name="unpause",
    usage="CONTAINER [CONTAINER...]",
    short="Unpause all processes within one or more containers",
    run=run,
    min_args=1,
)
