"""Helpers the verb modules share: argument count checks and the console socket."""

from __future__ import annotations

import sys

from dockyard import errdefs
from dockyard.runtime.args import Flag, Parsed, parse, usage


def parse_or_help(
    command: str, synopsis: str, flags: tuple[Flag, ...], argv: list[str]
) -> Parsed | None:
    """Parse; print usage and return None on --help."""
    flags = (*flags, Flag("help", short="h", help="show help"))
    parsed = parse(argv, flags)
    if parsed.flag("help"):
        sys.stdout.write(usage(command, synopsis, flags))
        return None
    return parsed


def need_args(parsed: Parsed, command: str, count: int, *, exact: bool = True) -> None:
    n = len(parsed.args)
    if n < count or (exact and n > count):
        want = f"exactly {count}" if exact else f"at least {count}"
        raise errdefs.InvalidArgument(f'"{command}" requires {want} argument(s)')


def connect_console(path: str) -> int:
    """Connect to a --console-socket; the descriptor is handed to the init."""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError as err:
        sock.close()
        raise errdefs.InvalidArgument(
            f"failed to connect to console socket {path}: {err}"
        ) from None
    return sock.detach()


def console_pair() -> tuple[int, int]:
    """For a foreground terminal without --console-socket: (our end, the init's end)."""
    import socket

    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    return ours.detach(), theirs.detach()
