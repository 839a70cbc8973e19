"""`dockyard context rm`: remove one or more contexts."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.context.show import current_context
    from dockyard.cli.errors import each
    from dockyard.client import contexts

    current = current_context(cli)

    def remove(name: str) -> None:
        if name == contexts.DEFAULT:
            raise errdefs.InvalidArgument('context "default" cannot be removed')
        if not contexts.exists(cli.config_dir, name):
            raise errdefs.NotFound(f'context "{name}" does not exist')
        if name == current:
            if not opts.boolean("force"):
                raise errdefs.FailedPrecondition(
                    f'context "{name}" is in use, set -f flag to force remove'
                )
            cli.config.current_context = ""
            cli.config.save()
        contexts.remove(cli.config_dir, name)

    return each(cli, args, remove)


COMMAND = Command(
    name="rm",
    usage="CONTEXT [CONTEXT...]",
    short="Remove one or more contexts",
    run=run,
    aliases=("remove",),
    min_args=1,
    flags=flags(Flag(name="force", short="f", help="Force the removal of a context in use")),
)
