"""`dockyard context use`: make a context the current one (config.json's currentContext)."""

from __future__ import annotations

from dockyard.cli.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard.client import contexts

    name = args[0]
    if name != contexts.DEFAULT:
        contexts.validate_name(name)
        contexts.get(cli.config_dir, name)  # NotFound with docker's words
    config = cli.config
    # docker stores "" for the default context, so config.json stays clean
    config.current_context = "" if name == contexts.DEFAULT else name
    config.save()
    cli.out.write(name + "\n")
    cli.err.write(f'Current context is now "{name}"\n')
    if name != contexts.DEFAULT and os.environ.get("DOCKYARD_HOST"):
        cli.err.write(
            "Warning: DOCKYARD_HOST environment variable overrides the active context. "
            f'To use "{name}", either set the global --context flag, or unset DOCKYARD_HOST '
            "environment variable.\n"
        )
    return 0


COMMAND = Command(
    name="use",
    usage="CONTEXT",
    short="Set the current docker context",
    run=run,
    min_args=1,
    max_args=1,
)
