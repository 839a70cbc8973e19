"""`dockyard context rm`: remove one or more contexts."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.context.show import current_context
    from dockyard.client import contexts

    current = current_context(cli)
    failures: list[str] = []
    for name in args:
        if name == contexts.DEFAULT:
            failures.append('context "default" cannot be removed')
            continue
        try:
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
        except errdefs.DockyardError as err:
            failures.append(str(err))
            continue
        cli.out.write(name + "\n")
    if failures:
        raise StatusError("\n".join(failures), 1)
    return 0


COMMAND = Command(
    name="rm",
    usage="CONTEXT [CONTEXT...]",
    short="Remove one or more contexts",
    run=run,
    aliases=("remove",),
    min_args=1,
    flags=flags(Flag(name="force", short="f", help="Force the removal of a context in use")),
)
