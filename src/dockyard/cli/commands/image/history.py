"""`dockyard image history` / `dockyard history`: show the history of an image."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format import history as history_format
    from dockyard.client import images

    items = images.history(cli.client, args[0], platform=opts.string("platform"))
    history_format.write(
        cli.out,
        items,
        fmt=opts.string("format") or "table",
        quiet=opts.boolean("quiet"),
        trunc=not opts.boolean("no-trunc"),
        human=opts.boolean("human"),
    )
    return 0


COMMAND = Command(
    name="history",
    usage="[OPTIONS] IMAGE",
    short="Show the history of an image",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(
            name="human",
            short="H",
            default=True,
            help="Print sizes and dates in human readable format",
        ),
        Flag(name="no-trunc", help="Don't truncate output"),
        Flag(
            name="platform",
            type="string",
            help='Show history for the given platform. Formatted as "os[/arch[/variant]]" '
            '(e.g., "linux/amd64")',
        ),
        Flag(name="quiet", short="q", help="Only show image IDs"),
    ),
)
