"""`dockyard container wait`: block until containers stop, then print their exit codes."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.cli.errors import each
    from dockyard.client import containers

    def wait(ref: str) -> None:
        answer = containers.wait(cli.client, ref)
        error = answer.get("Error") or {}
        if error.get("Message"):
            # the Go client turns a wait answer's Error into an error of its own
            raise errdefs.Unknown(str(error["Message"]))
        cli.out.write(f"{answer.get('StatusCode', 0)}\n")
        cli.out.flush()

    return each(cli, args, wait, echo=False)


COMMAND = Command(
    name="wait",
    usage="CONTAINER [CONTAINER...]",
    short="Block until one or more containers stop, then print their exit codes",
    run=run,
    min_args=1,
)
