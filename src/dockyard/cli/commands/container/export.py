"""`dockyard container export`: export a container's filesystem as a tar archive."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli import tarout
    from dockyard.client import containers

    tarout.write(
        cli,
        opts.string("output"),
        lambda: containers.export(cli.client, args[0]),
        action="export container",
    )
    return 0


COMMAND = Command(
    name="export",
    usage="[OPTIONS] CONTAINER",
    short="Export a container's filesystem as a tar archive",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="output", short="o", type="string", help="Write to a file, instead of STDOUT"),
    ),
)
