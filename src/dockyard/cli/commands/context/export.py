"""`dockyard context export`: a context as a tar archive, to a file or stdout."""

from __future__ import annotations

from dockyard.cli.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    import os

    from dockyard import errdefs
    from dockyard.cli.commands.context.common import load
    from dockyard.client import contexts

    name = args[0]
    dest = args[1] if len(args) > 1 else f"{name}.dockercontext"
    if name != contexts.DEFAULT:
        contexts.validate_name(name)
    data = contexts.export(load(cli, name))
    if dest == "-":
        if cli.out.isatty():
            raise errdefs.InvalidArgument(
                "cowardly refusing to export to a terminal, specify a file path"
            )
        cli.out.flush()
        cli.out.buffer.write(data)
        cli.out.buffer.flush()
        return 0
    try:
        fd = os.open(dest, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as err:
        raise errdefs.InvalidArgument(f"open {dest}: {(err.strerror or str(err)).lower()}") from err
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    cli.err.write(f'Written file "{dest}"\n')
    return 0


COMMAND = Command(
    name="export",
    usage="[OPTIONS] CONTEXT [FILE|-]",
    short="Export a context to a tar archive FILE or a tar stream on STDOUT.",
    run=run,
    min_args=1,
    max_args=2,
)
