"""What the prune verbs share, as docker's do: `--filter` joined with config.json's
"pruneFilters", the y/N warning unless `--force`, and the report.

Each `<object> prune` module has a `prune(cli, *, all, filters) -> (reclaimed, output)`
(docker's RunPrune) that `system prune` runs in turn; `output` is the "Deleted ...:" list
or "" when nothing went.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options
    from dockyard.cli.filters import Filters


def filters_of(cli: Cli, opts: Options) -> Filters:
    """The --filter values with config.json's pruneFilters (command.PruneFilters)."""
    from dockyard.cli.filters import parse_filters, prune_filters

    return prune_filters(cli, parse_filters(opts.strings("filter")))


def confirmed(cli: Cli, opts: Options, warning: str) -> bool:
    """--force, or a "y" to the warning; docker's cancelled prune prints nothing more and
    exits 0."""
    from dockyard.cli.prompt import confirm

    return opts.boolean("force") or confirm(cli, warning)


def listing(title: str, items: list[str] | None) -> str:
    """ "Deleted Containers:\\n<id>\\n..." ("" for none)."""
    return f"{title}:\n" + "".join(f"{i}\n" for i in items) if items else ""


def report(cli: Cli, reclaimed: int, output: str, *, total: bool = True) -> None:
    """The list (and a blank line after it), then "Total reclaimed space: 1.5MB"."""
    from dockyard.cli.format.units import human_size

    if output:
        cli.out.write(output + "\n")
    if total:
        cli.out.write(f"Total reclaimed space: {human_size(reclaimed)}\n")
