"""`dockyard container kill`: kill one or more running containers.

Also home of `each`, the loop docker's multi-container verbs share (stop, restart, rm,
pause, unpause, kill): successes print the name as given, failures are collected and
printed together at the end, one per line, and the exit status is 1.
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.cli.command import Command, Flag, Options, StatusError, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.cli.app import Cli


def describe(err: BaseException) -> str:
    """An error as docker prints it: the daemon's ones behind "Error response from daemon: "."""
    from dockyard.client.errors import APIError

    if isinstance(err, APIError):
        return f"Error response from daemon: {err}"
    return str(err)


def each(
    cli: Cli,
    refs: list[str],
    action: Callable[[str], object],
    *,
    quiet_not_found: bool = False,
) -> int:
    """Run `action` on every ref in order (docker's parallelOperation prints in order too).
    `quiet_not_found` is `rm -f`: a missing container is reported on stderr at once and
    does not fail the command."""
    failures: list[str] = []
    for ref in refs:
        try:
            action(ref)
        except errdefs.DockyardError as err:
            if quiet_not_found and isinstance(err, errdefs.NotFound):
                cli.err.write(describe(err) + "\n")
                continue
            failures.append(describe(err))
            continue
        cli.out.write(ref + "\n")
        cli.out.flush()
    if failures:
        raise StatusError("\n".join(failures), 1)
    return 0


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.client import containers

    signal = opts.string("signal")
    return each(cli, args, lambda ref: containers.kill(cli.client, ref, signal=signal))


COMMAND = Command(
    name="kill",
    usage="[OPTIONS] CONTAINER [CONTAINER...]",
    short="Kill one or more running containers",
    run=run,
    min_args=1,
    flags=flags(
        Flag(name="signal", short="s", type="string", help="Signal to send to the container"),
    ),
)
