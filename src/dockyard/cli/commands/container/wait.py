"""`dockyard container wait`: block until containers stop, then print their exit codes."""

from __future__ import annotations

from dockyard.cli.command import Command, Options, StatusError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.commands.container.kill import describe
    from dockyard.client import containers

    failures: list[str] = []
    for ref in args:
        try:
            answer = containers.wait(cli.client, ref)
        except errdefs.DockyardError as err:
            failures.append(describe(err))
            continue
        error = answer.get("Error") or {}
        if error.get("Message"):
            # the Go client turns a wait answer's Error into an error of its own
            failures.append(str(error["Message"]))
            continue
        cli.out.write(f"{answer.get('StatusCode', 0)}\n")
        cli.out.flush()
    if failures:
        raise StatusError("\n".join(failures), 1)
    return 0


COMMAND = Command(
    name="wait",
    usage="CONTAINER [CONTAINER...]",
    short="Block until one or more containers stop, then print their exit codes",
    run=run,
    min_args=1,
)
