"""`dockyard context update`: change a context's description or docker endpoint."""

from __future__ import annotations

from dockyard.cli.command import Command, flags
from dockyard.cli.commands.context.common import ENDPOINT_FLAGS, long_help

TYPE_CHECKING = False
if TYPE_CHECKING:
    from dockyard.cli.app import Cli
    from dockyard.cli.command import Options


def run(cli: Cli, opts: Options, args: list[str]) -> int:
    from dockyard.cli.commands.context.common import endpoint, parse_docker_option
    from dockyard.client import contexts

    name = args[0]
    contexts.validate_name(name)
    contexts.get(cli.config_dir, name)  # NotFound with docker's words
    docker = parse_docker_option(opts.strings("docker"))
    description = opts.string("description") if opts.changed("description") else None
    if docker is None:
        contexts.update(cli.config_dir, name, description=description)
    else:
        host, skip, tls = endpoint(cli, docker)
        contexts.update(
            cli.config_dir,
            name,
            host=host,
            description=description,
            skip_tls_verify=skip,
            tls=tls,
        )
    cli.out.write(name + "\n")
    cli.err.write(f'Successfully updated context "{name}"\n')
    return 0


COMMAND = Command(
    name="update",
    usage="[OPTIONS] CONTEXT",
    short="Update a context",
    long=long_help("update"),
    run=run,
    min_args=1,
    max_args=1,
    flags=flags(*ENDPOINT_FLAGS),
)
