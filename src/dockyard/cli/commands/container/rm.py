"""`dockyard container rm`: remove one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.errors import each
    from dockyard.client import containers

    force, volumes, link = opts.boolean("force"), opts.boolean("volumes"), opts.boolean("link")

    def remove(ref: str) -> None:
        ref = ref.strip("/")  # docker trims slashes ("/name" is how the API spells names)
        if not ref:
            raise errdefs.InvalidArgument("container name cannot be empty")
        containers.remove(cli.client, ref, force=force, volumes=volumes, link=link)

    return each(cli, args, remove, quiet_not_found=force)


COMMAND = Command(
    name="rm",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Remove one or more containers",
    aliases=("remove",),
    run=run,
    min_args=1,
    flags=flags(
        Flag(
            name="force",
            short="f",
            help="Force the removal of a running container (uses SIGKILL)",
        ),
        Flag(name="link", short="l", help="Remove the specified link"),
        Flag(
            name="volumes",
            short="v",
            help="Remove anonymous volumes associated with the container",
        ),
    ),
)
