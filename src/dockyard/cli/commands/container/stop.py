"""`dockyard container stop`: stop one or more running containers."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.container.kill import each
    from dockyard.client import containers

    if opts.changed("time") and opts.changed("timeout"):
        raise errdefs.InvalidArgument(
            "conflicting options: cannot specify both --timeout and --time"
        )
    timeout: int | None = None
    if opts.changed("timeout"):
        timeout = opts.integer("timeout")
    elif opts.changed("time"):
        timeout = opts.integer("time")
    signal = opts.string("signal")
    return each(
        cli, args, lambda ref: containers.stop(cli.client, ref, timeout=timeout, signal=signal)
    )


COMMAND = Command(
    name="stop",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Stop one or more running containers",
    run=run,
    min_args=1,
    flags=flags(
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
    ),
)
