"""`dockyard events` / `dockyard system events`: stream the daemon's events, one line each,
until Ctrl-C (or `--until`)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, flags
from dockyard.cli.flags import INSPECT_FORMAT_HELP

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import time

    from dockyard.cli.filters import parse_filters
    from dockyard.cli.format import events
    from dockyard.client import system
    from dockyard.client.timetypes import get_timestamp

    template = events.compile_format(opts.string("format"))
    now = time.time()
    since = get_timestamp(opts.string("since"), now) if opts.string("since") else None
    until = get_timestamp(opts.string("until"), now) if opts.string("until") else None
    filters = parse_filters(opts.strings("filter")) or None
    response = system.events(cli.client, since=since, until=until, filters=filters)
    try:
        for event in response.json_stream():
            cli.out.write(events.format_event(template, event))
            cli.out.flush()
    finally:
        response.close()
    return 0


COMMAND = Command(
    name="events",
    usage="[OPTIONS]",
    short="Get real time events from the server",
    run=run,
    max_args=0,
    flags=flags(
        Flag(name="since", type="string", help="Show all events created since timestamp"),
        Flag(name="until", type="string", help="Stream events until this timestamp"),
        Flag(
            name="filter",
            short="f",
            type="filter",
            help="Filter output based on conditions provided",
        ),
        Flag(name="format", type="string", help=INSPECT_FORMAT_HELP),
    ),
)
