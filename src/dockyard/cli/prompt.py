"""docker's prompt.Confirm: the y/N question prune and `network rm` (of ingress) ask."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


def confirm(cli: Cli, message: str) -> bool:
    """Write "<message> [y/N] " and read a line of stdin: yes only for "y" or "Y"."""
    cli.out.write(message + " [y/N] ")
    cli.out.flush()
    line = cli.stdin.readline().decode(errors="replace").strip()
    return line.lower() == "y"
