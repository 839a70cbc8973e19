"""`dockyard image prune`: remove unused images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"
ALL_WARNING = (
    "WARNING! This will remove all images without at least one container associated to them.\n"
    "Are you sure you want to continue?"
)
DANGLING_WARNING = (
    "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.image.common import (
        add_filter,
        confirm,
        parse_filters,
        prune_filters,
    )
    from dockyard.cli.progress import human_size
    from dockyard.client import images

    every = opts.boolean("all")
    filters = parse_filters(cli, opts.strings("filter"), usage=USAGE, label="--filter")
    add_filter(filters, "dangling", "false" if every else "true")
    filters = prune_filters(cli, filters)
    if not opts.boolean("force") and not confirm(cli, ALL_WARNING if every else DANGLING_WARNING):
        return 0  # docker's cancelledErr: "image prune has been cancelled" is not printed
    report = images.prune(cli.client, filters=filters)
    deleted = report.get("ImagesDeleted") or []
    reclaimed = 0
    if deleted:
        lines = ["Deleted Images:"]
        for item in deleted:
            if item.get("Untagged"):
                lines.append(f"untagged: {item['Untagged']}")
            else:
                lines.append(f"deleted: {item.get('Deleted', '')}")
        cli.out.write("\n".join(lines) + "\n\n")
        reclaimed = int(report.get("SpaceReclaimed") or 0)
    cli.out.write(f"Total reclaimed space: {human_size(reclaimed)}\n")
    return 0


COMMAND = Command(
    name="prune",
    usage=USAGE,
    short="Remove unused images",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="all", short="a", help="Remove all unused images, not just dangling ones"),
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "until=<timestamp>")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
