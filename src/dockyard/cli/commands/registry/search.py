"""`dockyard search`: search a registry (Docker Hub) for images, through the daemon."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options

AUTOMATED_WARNING = (
    'WARNING: the "is-automated" filter is deprecated, and searching for "is-automated=true" '
    "will not yield any results in future."
)


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.filters import parse_filters
    from dockyard.cli.format import search
    from dockyard.client import auth, images

    term = args[0]
    filters = parse_filters(opts.strings("filter"))
    if "is-automated" in filters:
        cli.err.write(AUTOMATED_WARNING + "\n")
    results = images.search(
        cli.client,
        term,
        limit=opts.integer("limit"),
        filters=filters or None,
        auth=auth.registry_auth_header(cli.config, term),
    )
    search.write(cli.out, results, fmt=opts.string("format"), trunc=not opts.boolean("no-trunc"))
    return 0


COMMAND = Command(
    name="search",
    usage="[OPTIONS] TERM",
    short="Search Docker Hub for images",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(
            name="filter",
            short="f",
            type="filter",
            help="Filter output based on conditions provided",
        ),
        Flag(name="format", type="string", help="Pretty-print search using a Go template"),
        Flag(name="limit", type="int", help="Max number of search results"),
        Flag(name="no-trunc", help="Don't truncate output"),
    ),
)
