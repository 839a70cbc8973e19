"""`dockyard image prune`: remove unused images."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from dockyard.cli.app import Cli
    from dockyard.cli.filters import Filters

ALL_WARNING = (
    "WARNING! This will remove all images without at least one container associated to them.\n"
    "Are you sure you want to continue?"
)
DANGLING_WARNING = (
    "WARNING! This will remove all dangling images.\nAre you sure you want to continue?"
)


def prune(cli: Cli, *, all: bool, filters: Filters) -> tuple[int, str]:
    """Dangling images, or with `all` every image no container uses."""
    from dockyard.cli.filters import add_filter
    from dockyard.client import images

    query = {k: dict(v) for k, v in filters.items()}
    add_filter(query, "dangling", "false" if all else "true")
    report = images.prune(cli.client, filters=query)
    deleted: list[dict[str, Any]] = report.get("ImagesDeleted") or []
    if not deleted:
        return 0, ""
    lines = [
        f"untagged: {d['Untagged']}" if d.get("Untagged") else f"deleted: {d.get('Deleted', '')}"
        for d in deleted
    ]
    return int(report.get("SpaceReclaimed") or 0), "Deleted Images:\n" + "\n".join(lines) + "\n"


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.prune import confirmed, filters_of, report

    every = opts.boolean("all")
    filters = filters_of(cli, opts)
    if confirmed(cli, opts, ALL_WARNING if every else DANGLING_WARNING):
        report(cli, *prune(cli, all=every, filters=filters))
    return 0


COMMAND = Command(
    name="prune",
    usage="[OPTIONS]",
    short="Remove unused images",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="all", short="a", help="Remove all unused images, not just dangling ones"),
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "until=<timestamp>")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
