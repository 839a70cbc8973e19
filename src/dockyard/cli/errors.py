"""How the CLI reports what went wrong, for one object or several.

docker prints a daemon's error behind "Error response from daemon: " and any other as it
is. Verbs that take several objects (`rm a b c`, `kill`, `stop`, `pause`, ...) act on each
in order, print each success (the name as given), collect each failure, and at the end
print the failures one a line and exit 1 (docker's errors.Join).
"""

from __future__ import annotations

from dockyard import errdefs
from dockyard.cli.command import StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from dockyard.cli.app import Cli

DAEMON_PREFIX = "Error response from daemon: "


def describe(err: BaseException) -> str:
    """An error as docker prints it: the daemon's ones behind "Error response from daemon: "."""
    text = str(err)
    from dockyard.client.errors import APIError

    if isinstance(err, APIError) and not text.startswith(DAEMON_PREFIX):
        return DAEMON_PREFIX + text
    return text


def raise_joined(failures: list[str]) -> None:
    """docker's errors.Join of per-object failures: every line, then status 1."""
    if failures:
        raise StatusError("\n".join(failures), 1)


def each(
    cli: Cli,
    refs: list[str],
    action: Callable[[str], object],
    *,
    quiet_not_found: bool = False,
    echo: bool = True,
) -> int:
    """Run `action` on every ref in order (docker's parallelOperation prints in order too),
    print each ref it succeeded on (unless not `echo`: the action prints), then raise the
    joined failures. `quiet_not_found` is `rm -f`: a missing object is reported on stderr at
    once and does not fail the command."""
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
        if echo:
            cli.out.write(ref + "\n")
            cli.out.flush()
    raise_joined(failures)
    return 0
