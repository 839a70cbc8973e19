"""`dockyard network prune`: remove all unused networks."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS]"
WARNING = (
    "WARNING! This will remove all custom networks not used by at least one container.\n"
    "Are you sure you want to continue?"
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.image.common import confirm, parse_filters, prune_filters
    from dockyard.client import networks

    filters = prune_filters(
        cli, parse_filters(cli, opts.strings("filter"), usage=USAGE, label="--filter")
    )
    if not opts.boolean("force") and not confirm(cli, WARNING):
        return 0
    report = networks.prune(cli.client, filters=filters)
    deleted = report.get("NetworksDeleted") or []
    if deleted:
        cli.out.write("Deleted Networks:\n" + "".join(f"{n}\n" for n in deleted) + "\n")
    return 0


COMMAND = Command(
    name="prune",
    usage=USAGE,
    short="Remove all unused networks",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="filter", type="filter", help='Provide filter values (e.g. "until=<timestamp>")'),
        Flag(name="force", short="f", help="Do not prompt for confirmation"),
    ),
)
