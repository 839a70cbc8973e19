"""`dockyard volume rm`: remove one or more volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import volumes

    force = opts.boolean("force")
    return each(cli, args, lambda name: volumes.remove(cli.client, name, force=force))


COMMAND = Command(
    name="rm",
    usage="[OPTIONS] VOLUME [VOLUME...]",
    short="Remove one or more volumes. You cannot remove a volume that is in use by a container.",
    aliases=("remove",),
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="force", short="f", help="Force the removal of one or more volumes"),
    ),
)
