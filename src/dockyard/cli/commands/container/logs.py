"""`dockyard container logs`: fetch the logs of a container."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from dockyard.cli.app import Cli

_TIME_HELP = (
    'Show logs {} timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)'
)


def _raw(stream: object) -> BinaryIO:
    flush = getattr(stream, "flush", None)
    if callable(flush):
        flush()
    raw: BinaryIO | None = getattr(stream, "buffer", None)
    if raw is None:  # a binary stream already (tests hand in BytesIO)
        return stream  # type: ignore[return-value]
    return raw


def _timestamp(name: str, opts: Options, now: float) -> str:
    """--since/--until as the Go client sends them (its error wrapped as it wraps it)."""
    from dockyard import errdefs
    from dockyard.client.timetypes import get_timestamp

    value = opts.string(name)
    if not value:
        return ""
    try:
        return get_timestamp(value, now)
    except errdefs.InvalidArgument as err:
        raise errdefs.InvalidArgument(f'invalid value for "{name}": {err}') from None


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import time

    from dockyard.client import containers
    from dockyard.client.streams import demux

    client = cli.client
    info = containers.inspect(client, args[0])
    now = time.time()
    since, until = _timestamp("since", opts, now), _timestamp("until", opts, now)
    response = containers.logs(
        client,
        info["Id"],
        follow=opts.boolean("follow"),
        since=since,
        until=until,
        timestamps=opts.boolean("timestamps"),
        tail=opts.string("tail"),
        details=opts.boolean("details"),
    )
    out, err = _raw(cli.out), _raw(cli.err)
    with response:
        if (info.get("Config") or {}).get("Tty"):
            for chunk in response.chunks():
                out.write(chunk)
                out.flush()
        else:
            read = getattr(response, "read1", None) or response.read
            for stream, payload in demux(read):
                target = err if stream == 2 else out
                target.write(payload)
                target.flush()
    return 0


COMMAND = Command(
    name="logs",
    usage="[OPTIONS] CONTAINER",
    short="Fetch the logs of a container",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="details", help="Show extra details provided to logs"),
        Flag(name="follow", short="f", help="Follow log output"),
        Flag(name="since", type="string", help=_TIME_HELP.format("since")),
        Flag(
            name="tail",
            short="n",
            type="string",
            default="all",
            help="Number of lines to show from the end of the logs",
            help_default='"all"',
        ),
        Flag(name="timestamps", short="t", help="Show timestamps"),
        Flag(name="until", type="string", help=_TIME_HELP.format("before a")),
    ),
)
