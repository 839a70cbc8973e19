"""`dockyard context import`: create a context from an exported tar (a file or stdin)."""

from __future__ import annotations

from dockyard.cli.command import Command

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard import errdefs
    from dockyard.client import contexts

    name, source = args
    contexts.validate_name(name)
    if contexts.exists(cli.config_dir, name):
        raise errdefs.AlreadyExists(f'context "{name}" already exists')
    if source == "-":
        data = cli.stdin.read()
    else:
        try:
            with open(source, "rb") as f:
                data = f.read()
        except OSError as err:
            raise errdefs.NotFound(f"open {source}: {(err.strerror or str(err)).lower()}") from err
    contexts.import_(cli.config_dir, name, data)
    cli.out.write(name + "\n")
    cli.err.write(f'Successfully imported context "{name}"\n')
    return 0


COMMAND = Command(
    name="import",
    usage="CONTEXT FILE|-",
    short="Import a context from a tar or zip file",
    run=run,
    min_args=2,
    max_args=2,
)
