"""`dockyard container stop`: stop one or more running containers (and the flags and
timeout rules `restart` shares)."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli

USAGE = "[OPTIONS] CONTAINER [CONTAINER...]"
FLAGS = flags(
    Flag(name="signal", short="s", type="string", help="Signal to send to the container"),
    Flag(
        name="timeout",
        short="t",
        type="int",
        help="Seconds to wait before killing the container",
    ),
    Flag(
        name="time",
        type="int",
        help="Seconds to wait before killing the container (deprecated: use --timeout)",
        deprecated="use --timeout instead",
    ),
)


def stop_timeout(opts: Options) -> int | None:
    """--timeout, or the deprecated --time; None (the container's own StopTimeout) if neither."""
    from dockyard import errdefs

    if opts.changed("time") and opts.changed("timeout"):
        raise errdefs.InvalidArgument(
            "conflicting options: cannot specify both --timeout and --time"
        )
    if opts.changed("timeout"):
        return opts.integer("timeout")
    if opts.changed("time"):
        return opts.integer("time")
    return None


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.errors import each
    from dockyard.client import containers

    timeout, signal = stop_timeout(opts), opts.string("signal")
    return each(
        cli, args, lambda ref: containers.stop(cli.client, ref, timeout=timeout, signal=signal)
    )


COMMAND = Command(
    name="stop",
    usage=USAGE,
    short="Stop one or more running containers",
    run=run,
    min_args=1,
    flags=FLAGS,
)
