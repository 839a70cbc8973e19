"""`dockyard volume ls`: list volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags
from dockyard.cli.flags import FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"
CLUSTER_TABLE = "table {{.Name}}\t{{.Group}}\t{{.Driver}}\t{{.Availability}}\t{{.Status}}"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.filters import parse_filters
    from dockyard.cli.format import volumes as volume_format
    from dockyard.cli.format.formatter import choose_format
    from dockyard.client import volumes

    filters = parse_filters(opts.strings("filter"))
    found = volumes.list(cli.client, filters=filters).get("Volumes") or []
    quiet = opts.boolean("quiet")
    if opts.boolean("cluster"):
        found = [v for v in found if v.get("ClusterVolume")]
        fmt = "table" if quiet else CLUSTER_TABLE
    else:
        configured = cli.config.data.get("volumesFormat")
        fmt = choose_format(opts.string("format"), configured, quiet=quiet)
    volume_format.write(cli.out, found, fmt=fmt, quiet=quiet)
    return 0


COMMAND = Command(
    name="ls",
    usage=USAGE,
    short="List volumes",
    aliases=("list",),
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="cluster",
            help="Display only cluster volumes, and use cluster volume list formatting",
        ),
        Flag(
            name="filter",
            short="f",
            type="filter",
            help='Provide filter values (e.g. "dangling=true")',
        ),
        Flag(name="format", type="string", help=FORMAT_HELP),
        Flag(name="quiet", short="q", help="Only display volume names"),
    ),
)
