"""`dockyard container rename`: rename a container."""

from __future__ import annotations

from dockyard.cli.command import Command, Options, StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.errors import describe
    from dockyard.client import containers

    old, new = args[0].strip(), args[1].strip()
    if not old or not new:
        raise StatusError("Error: Neither old nor new names may be empty", 1)
    try:
        containers.rename(cli.client, old, new)
    except errdefs.DockyardError as err:
        # docker prints the daemon's error, then its own line, both on stderr
        cli.err.write(describe(err) + "\n")
        raise StatusError(f"Error: failed to rename container named {old}", 1) from err
    return 0


COMMAND = Command(
    name="rename",
    usage="CONTAINER NEW_NAME",
    short="Rename a container",
    run=run,
    min_args=2,
    max_args=2,
)
