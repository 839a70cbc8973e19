"""A daemon's tar stream written where docker's export, save and `cp CONTAINER:PATH -` write
it: stdout (never a terminal) or `-o FILE` through an atomic writer."""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import BinaryIO

    from dockyard.cli.app import Cli
    from dockyard.client.transport import Response

TERMINAL_REFUSAL = "cowardly refusing to save to a terminal. Use the -o flag or redirect"


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def binary_out(cli: Cli) -> BinaryIO:
    """The raw bytes under `cli.out` (tar streams), its text buffer flushed first."""
    cli.out.flush()
    raw: BinaryIO | None = getattr(cli.out, "buffer", None)
    if raw is None:  # a binary stream already (tests hand in BytesIO)
        return cli.out  # type: ignore[return-value]
    return raw


def copy_to_stdout(cli: Cli, response: Response) -> None:
    """Every chunk of `response` on stdout's bytes (the caller closes the response)."""
    out = binary_out(cli)
    for chunk in response.chunks():
        out.write(chunk)
    out.flush()


def write(cli: Cli, output: str, fetch: Callable[[], Response], *, action: str) -> None:
    """The tar stream `fetch()` answers, to `output` or (when "") to stdout, which must not
    be a terminal. The file is written as docker's atomicwriter does: a temporary file
    (mode 0600) beside the target, renamed over it when complete. `action` names the
    failure ("failed to export container: invalid output path: ...")."""
    import os

    from dockyard import errdefs

    if not output:
        if is_terminal(cli.out):
            raise errdefs.InvalidArgument(TERMINAL_REFUSAL)
        with fetch() as response:
            copy_to_stdout(cli, response)
        return
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise errdefs.InvalidArgument(
            f'failed to {action}: invalid output path: directory "{directory}" does not exist'
        )
    tmp = os.path.join(directory, f".tmp-{os.path.basename(output)}{os.getpid()}")
    try:
        with fetch() as response:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "wb") as f:
                os.fchmod(f.fileno(), 0o600)
                for chunk in response.chunks():
                    f.write(chunk)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
