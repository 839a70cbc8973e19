"""`dockyard volume rm`: remove one or more volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.image.common import error_line, errors_status
    from dockyard.client import volumes

    failures: list[str] = []
    for name in args:
        try:
            volumes.remove(cli.client, name, force=opts.boolean("force"))
        except errdefs.DockyardError as err:
            failures.append(error_line(err))
            continue
        cli.out.write(name + "\n")
    errors_status(failures)
    return 0


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
