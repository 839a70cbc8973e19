"""`dockyard container prune`: remove all stopped containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.filters import Filters

WARNING = "WARNING! This will remove all stopped containers.\nAre you sure you want to continue?"


def prune(cli: Cli, *, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.cli.prune import listing
    from dockyard.client import containers

    report = containers.prune(cli.client, filters=filters)
    deleted = report.get("ContainersDeleted")
    reclaimed = int(report.get("SpaceReclaimed") or 0) if deleted else 0
    return reclaimed, listing("Deleted Containers", deleted)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.prune import confirmed, filters_of, report

    filters = filters_of(cli, opts)
    if confirmed(cli, opts, WARNING):
        report(cli, *prune(cli, all=False, filters=filters))
    return 0


COMMAND = Command(
    name="prune",
    usage="[OPTIONS]",
    short="Remove all stopped containers",
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="filter",
            type="filter",
            help='Provide filter values (e.g. "until=<timestamp>")',
        ),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
