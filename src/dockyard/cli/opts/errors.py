"""The two ways a container flag can be wrong, as docker reports them.

pflag checks a value when it reads the flag (`invalid argument "x" for "-e, --env" flag:
...`, followed by the usage line); docker's `parse` checks the rest afterwards and prints
`docker: <message>` with a hint to `--help`. Both exit 125 from `run` and `create`.
"""

from __future__ import annotations

from dockyard.cli.command import StatusError
from dockyard.cli.flags import go_quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli


class FlagValueError(Exception):
    """A value the flag's own validator refuses (pflag's Set error)."""

    def __init__(self, label: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.label = label  # "-e, --env" or "--ulimit", as pflag names the flag
        self.value = value
        self.reason = reason


class OptionError(Exception):
    """A combination or value docker's opts.parse refuses; the message is docker's."""


def flag_status(cli: Cli, usage: str, err: FlagValueError) -> StatusError:
    """Docker 28's text for a flag error: pflag's line, the usage line, the help hint; 125."""
    path = cli.command_path
    return StatusError(
        f"invalid argument {go_quote(err.value)} for {go_quote(err.label)} flag: {err.reason}\n\n"
        f"Usage:  {path} {usage}\n\n"
        f"Run '{path} --help' for more information",
        125,
    )


def with_help(cli: Cli, command: str, message: str, status: int = 125) -> StatusError:
    """docker's withHelp: `docker: <message>` and the hint to `docker <command> --help`."""
    prog = cli.command_path.split(" ", 1)[0]
    return StatusError(
        f"{prog}: {message}\n\nRun '{prog} {command} --help' for more information", status
    )
