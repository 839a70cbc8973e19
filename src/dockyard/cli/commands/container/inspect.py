"""`dockyard container inspect`: display detailed information on one or more containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli

INSPECT_FORMAT_HELP = (
    "Format output using a custom template:\n"
    "'json':             Print in JSON format\n"
    "'TEMPLATE':         Print output using the given Go template.\n"
    "Refer to https://docs.docker.com/go/formatting/ for more information about formatting"
    " output with templates"
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.container.kill import describe
    from dockyard.cli.format import inspect as formatter
    from dockyard.client import containers

    size = opts.boolean("size")
    found: list[Any] = []
    failures: list[str] = []
    for ref in args:
        try:
            found.append(containers.inspect(cli.client, ref, size=size))
        except errdefs.DockyardError as err:
            failures.append(describe(err))
    formatter.write(cli.out, found, fmt=opts.string("format"))
    if failures:
        raise StatusError("\n".join(failures), 1)
    return 0


COMMAND = Command(
    name="inspect",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Display detailed information on one or more containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="format", short="f", type="string", help=INSPECT_FORMAT_HELP),
        Flag(name="size", short="s", help="Display total file sizes"),
    ),
)
