"""`dockyard container diff`: inspect changes to files or directories on a container's
filesystem ("C /etc", "A /etc/new", "D /tmp/gone")."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

# the API's change kinds (container.ChangeType) as docker's diff formatter prints them
KINDS = {0: "C", 1: "A", 2: "D"}


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.client import containers

    if not args[0]:
        raise errdefs.InvalidArgument("Container name cannot be empty")
    lines = [
        f"{KINDS.get(change.get('Kind', 0), '?')} {change.get('Path', '')}\n"
        for change in containers.changes(cli.client, args[0])
    ]
    cli.out.write("".join(lines))
    return 0


COMMAND = Command(
    name="diff",
    usage="CONTAINER",
    short="Inspect changes to files or directories on a container's filesystem",
    run=run,
    min_args=1,
    max_args=1,
)
