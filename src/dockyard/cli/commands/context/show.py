"""`dockyard context show`: print the name of the current context."""

from __future__ import annotations

from dockyard.cli.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def current_context(cli: Cli) -> str:
    """docker's resolveContextName: --context, then "default" when -H or DOCKYARD_HOST names
    a daemon, then DOCKYARD_CONTEXT, then config.json's currentContext, then "default"."""
    from dockyard.client.hosts import resolve_context_name

    o = cli.options
    return resolve_context_name(hosts=o.hosts, context=o.context, config=cli.config)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    cli.out.write(current_context(cli) + "\n")
    return 0


COMMAND = Command(
    name="show",
    usage="",
    short="Print the name of the current context",
    run=run,
    max_args=0,
)
