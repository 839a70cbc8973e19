"""`dockyard builder prune`: remove build cache."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = ""
NORMAL_WARNING = (
    "WARNING! This will remove all dangling build cache. Are you sure you want to continue?"
)
ALL_WARNING = "WARNING! This will remove all build cache. Are you sure you want to continue?"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.image.common import confirm, parse_filters, prune_filters
    from dockyard.cli.opts.units import ram_in_bytes
    from dockyard.cli.progress import human_size
    from dockyard.client import build

    every = opts.boolean("all")
    filters = prune_filters(
        cli, parse_filters(cli, opts.strings("filter"), usage=USAGE, label="--filter")
    )
    keep = ram_in_bytes(opts.string("keep-storage")) if opts.string("keep-storage") else 0
    if not opts.boolean("force") and not confirm(cli, ALL_WARNING if every else NORMAL_WARNING):
        return 0
    report = build.prune(cli.client, all=every, keep_storage=keep, filters=filters)
    deleted = report.get("CachesDeleted") or []
    if deleted:
        cli.out.write("Deleted build cache objects:\n" + "".join(f"{c}\n" for c in deleted) + "\n")
    cli.out.write(f"Total reclaimed space: {human_size(int(report.get('SpaceReclaimed') or 0))}\n")
    return 0


COMMAND = Command(
    name="prune",
    usage=USAGE,
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
