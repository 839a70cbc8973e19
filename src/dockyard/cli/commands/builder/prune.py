"""`dockyard builder prune`: remove build cache."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.filters import Filters

NORMAL_WARNING = (
    "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
)
ALL_WARNING = "WARNING! This will remove all build cache. Are you sure you want to continue?"


def prune(cli: Cli, *, all: bool, filters: Filters, keep_storage: int = 0) -> tuple[int, str]:
    from dockyard.cli.prune import listing
    from dockyard.client import build

    report = build.prune(cli.client, all=all, keep_storage=keep_storage, filters=filters)
    return int(report.get("SpaceReclaimed") or 0), listing(
        "Deleted build cache objects", report.get("CachesDeleted")
    )


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.opts.units import ram_in_bytes
    from dockyard.cli.prune import confirmed, filters_of, report

    every = opts.boolean("all")
    filters = filters_of(cli, opts)
    keep = ram_in_bytes(opts.string("keep-storage")) if opts.string("keep-storage") else 0
    if confirmed(cli, opts, ALL_WARNING if every else NORMAL_WARNING):
        report(cli, *prune(cli, all=every, filters=filters, keep_storage=keep))
    return 0


COMMAND = Command(
    name="prune",
    usage="",
    short="Remove build cache",
    run=run,
    max_args=0,
    flags=flags(
        Flag(
            name="all",
            short="a",
            help="Remove all unused build cache, not just dangling ones",
        ),
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "until=24h")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
        Flag(name="keep-storage", type="bytes", help="Amount of disk space to keep for cache"),
    ),
)
