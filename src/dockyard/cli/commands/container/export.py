"""`dockyard container export`: export a container's filesystem as a tar archive."""

from __future__ import annotations

from dockyard.cli.command import Command, Flag, Options, flags

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import BinaryIO

    from dockyard.cli.app import Cli


def binary_out(cli: Cli) -> BinaryIO:
    """The raw bytes under `cli.out` (tar streams), its text buffer flushed first."""
    cli.out.flush()
    raw: BinaryIO | None = getattr(cli.out, "buffer", None)
    if raw is None:  # a binary stream already (tests hand in BytesIO)
        return cli.out  # type: ignore[return-value]
    return raw


def is_terminal(stream: object) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty()) if callable(isatty) else False


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard import errdefs
    from dockyard.client import containers

    output = opts.string("output")
    if not output:
        if is_terminal(cli.out):
            raise errdefs.InvalidArgument(
                "cowardly refusing to save to a terminal. Use the -o flag or redirect"
            )
        with containers.export(cli.client, args[0]) as response:
            out = binary_out(cli)
            for chunk in response.chunks():
                out.write(chunk)
            out.flush()
        return 0
    # docker writes through an atomic writer: a temporary file renamed over the target
    directory = os.path.dirname(os.path.abspath(output))
    if not os.path.isdir(directory):
        raise errdefs.InvalidArgument(
            f'failed to export container: invalid output path: directory "{directory}"'
            " does not exist"
        )
    tmp = os.path.join(directory, f".tmp-{os.path.basename(output)}{os.getpid()}")
    try:
        with containers.export(cli.client, args[0]) as response, open(tmp, "wb") as f:
            os.fchmod(f.fileno(), 0o600)
            for chunk in response.chunks():
                f.write(chunk)
        os.replace(tmp, output)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return 0


COMMAND = Command(
    name="export",
    usage="[OPTIONS] CONTAINER",
    short="Export a container's filesystem as a tar archive",
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(
        Flag(name="output", short="o", type="string", help="Write to a file, instead of STDOUT"),
    ),
)
