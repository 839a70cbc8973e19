"""`dockyard network ls`: list networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.commands.image.ls import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"


def natural_key(text: str) -> list[tuple[int, int | str]]:
    """sortorder.NaturalLess: runs of digits compare as numbers ("net2" < "net10")."""
    import re

    return [
        (0, int(part)) if part.isdigit() else (1, part) for part in re.findall(r"\d+|\D+", text)
    ]


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.image.common import parse_filters
    from dockyard.cli.format import networks as network_format
    from dockyard.client import networks

    filters = parse_filters(cli, opts.strings("filter"), usage=USAGE)
    found = networks.list(cli.client, filters=filters)
    quiet, fmt = opts.boolean("quiet"), opts.string("format")
    if not fmt:
        configured = str(cli.config.data.get("networksFormat") or "")
        fmt = configured if configured and not quiet else "table"
    found.sort(key=lambda n: natural_key(str(n.get("Name", ""))))
    network_format.write(cli.out, found, fmt=fmt, quiet=quiet, trunc=not opts.boolean("no-trunc"))
    return 0


COMMAND = Command(
    name="ls",
    usage=USAGE,
    short="List networks",
    aliases=("list",),
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="filter",
            short="f",
            type="filter",
            help='Provide filter values (e.g. "driver=bridge")',
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="no-trunc", help="Do not truncate the output"),
        Flag(name="quiet", short="q", help="Only display network IDs"),
    ),
)
