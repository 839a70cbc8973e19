"""`dockyard network prune`: remove all unused networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.filters import Filters

WARNING = (
    "WARNING! This will remove all custom networks not used by at least one container.\n"
    "Are you sure you want to continue?"
)


def prune(cli: Cli, *, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.cli.prune import listing
    from dockyard.client import networks

    report = networks.prune(cli.client, filters=filters)
    return 0, listing("Deleted Networks", report.get("NetworksDeleted"))


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.prune import confirmed, filters_of, report

    filters = filters_of(cli, opts)
    if confirmed(cli, opts, WARNING):
        report(cli, *prune(cli, all=False, filters=filters), total=False)
    return 0


COMMAND = Command(
    name="prune",
    usage="[OPTIONS]",
    short="Remove all unused networks",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "until=<timestamp>")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
