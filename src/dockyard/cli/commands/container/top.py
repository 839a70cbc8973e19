"""`dockyard container top`: display the running processes of a container."""

from __future__ import annotations

from dockyard.cli.command import Command, Options

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.format import tabwriter
    from dockyard.client import containers

    answer = containers.top(cli.client, args[0], ps_args=" ".join(args[1:]))
    rows = [answer.get("Titles") or [], *(answer.get("Processes") or [])]
    text = "".join("\t".join(str(cell) for cell in row) + "\n" for row in rows)
    cli.out.write(
        tabwriter.align(text, minwidth=20)
    )  # docker top: NewWriter(out, 20, 1, 3, " ", 0)
    return 0


COMMAND = Command(
    name="top",
    usage="CONTAINER [ps OPTIONS]",
    short="Display the running processes of a container",
    run=run,
    min_args=1,
    interspersed=False,
)
