"""`dockyard volume prune`: remove unused local volumes."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.filters import Filters

UNUSED_WARNING = (
    "WARNING! This will remove anonymous local volumes not used by at least one container.\n"
    "Are you sure you want to continue?"
)
ALL_WARNING = (
    "WARNING! This will remove all local volumes not used by at least one container.\n"
    "Are you sure you want to continue?"
)


def _version_at_least(version: str, minimum: str) -> bool:
    def key(v: str) -> tuple[int, ...]:
        return tuple(int(p) for p in v.split(".") if p.isdigit())

    return key(version) >= key(minimum)


def prune(cli: Cli, *, all: bool, filters: Filters) -> tuple[int, str]:
    from dockyard.cli.prune import listing
    from dockyard.client import volumes

    report = volumes.prune(cli.client, filters=filters)
    deleted = report.get("VolumesDeleted")
    reclaimed = int(report.get("SpaceReclaimed") or 0) if deleted else 0
    return reclaimed, listing("Deleted Volumes", deleted)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.filters import add_filter
    from dockyard.cli.prune import confirmed, filters_of, report

    filters = filters_of(cli, opts)
    warning = UNUSED_WARNING
    if _version_at_least(cli.client.api_version, "1.42"):
        if opts.boolean("all"):
            if "all" in filters:
                raise errdefs.InvalidArgument(
                    "conflicting options: cannot specify both --all and --filter all=1"
                )
            add_filter(filters, "all", "true")
            warning = ALL_WARNING
    else:
        warning = ALL_WARNING
    if confirmed(cli, opts, warning):
        report(cli, *prune(cli, all=False, filters=filters))
    return 0


COMMAND = Command(
    name="prune",
    usage="[OPTIONS]",
    short="Remove unused local volumes",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="all", short="a", help="Remove all unused volumes, not just anonymous ones"),
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "label=<label>")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
